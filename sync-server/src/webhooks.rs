//! Outgoing webhooks: the sender task, Standard Webhooks signing and the URL policy.
//!
//! Events are queued in the `webhook_deliveries` outbox by [`crate::db::Database::emit_webhook`]
//! (one delivery per subscribed endpoint), which wakes the sender. The sender claims due
//! deliveries under a lease (safe with several server replicas on one database), POSTs each as
//! JSON `{"type", "timestamp", "data"}` with the Standard Webhooks headers `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>`, and logs every attempt.
//! A 2xx answer is delivered; anything else (other statuses, redirects, connection errors, a
//! timeout) is retried with exponential backoff (`[webhooks] retry_*`) and finally marked
//! failed. Besides the wake-ups it looks for due work every `poll_ms` (retries, and deliveries
//! queued by another replica).
//!
//! Endpoint URLs must be `http` or `https`. Unless `[webhooks] allow_private_targets` is on, a
//! URL whose host is a private, loopback, link-local or otherwise non-public address is
//! refused, and host names are resolved through a resolver that drops such addresses, so a name
//! that points into the server's own network (DNS rebinding included) cannot be reached either.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit as _, Mac as _};
use tokio::sync::{Notify, Semaphore};

use crate::AppState;
use crate::config::WebhooksConfig;
use crate::db::now_ms;
use crate::db::webhooks::{AttemptOutcome, AttemptRecorded, ClaimedDelivery};

/// A generation (sample) finished.
pub const GENERATION_COMPLETED: &str = "generation.completed";
/// A generation (sample) failed.
pub const GENERATION_FAILED: &str = "generation.failed";
/// A final render finished.
pub const FINAL_COMPLETED: &str = "final.completed";
/// A final render failed.
pub const FINAL_FAILED: &str = "final.failed";
/// The test delivery (`POST /webhooks/{id}/test`).
pub const WEBHOOK_TEST: &str = "webhook.test";

/// Every event type an endpoint can subscribe to.
pub const EVENT_TYPES: [&str; 5] =
    [GENERATION_COMPLETED, GENERATION_FAILED, FINAL_COMPLETED, FINAL_FAILED, WEBHOOK_TEST];

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Longest endpoint URL, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// Extra time a claim's lease lasts beyond the attempt's timeout.
const LEASE_MARGIN_MS: i64 = 60_000;

/// Shortest pause of the sender loop, so that a delivery another replica is claiming right now
/// does not make it spin.
const MIN_PAUSE: Duration = Duration::from_millis(10);

static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Wakes the sender (called after deliveries are queued; harmless when none runs).
pub fn wake_sender() {
    WAKE.notify_one();
}

/// A new signing secret: `whsec_` and 32 random bytes in standard base64.
pub fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(crate::auth::random_bytes(32)))
}

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the stored webhook secret is not `whsec_<base64>`")]
pub struct BadSecret;

/// The `webhook-signature` value for a message: `v1,` and the standard base64 of
/// HMAC-SHA256(base64-decoded secret, `"{id}.{timestamp}.{body}"`).
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String, BadSecret> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)).map_err(|_| BadSecret)?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// Whether an address is not a public unicast address: private, loopback, link-local,
/// unspecified, broadcast, multicast, shared (CGNAT), documentation, benchmarking or reserved
/// ranges, unique-local IPv6, and IPv4 addresses embedded in IPv6 ones that are any of those.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms of private IPv4.
        || (s[..6] == [0; 6] && is_private_v4(Ipv4Addr::from(((u32::from(s[6])) << 16) | u32::from(s[7]))))
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4]
            && is_private_v4(Ipv4Addr::from(((u32::from(s[6])) << 16) | u32::from(s[7]))))
}

/// Checks an endpoint URL: at most [`MAX_URL_BYTES`], `http` or `https`, with a host; unless
/// `allow_private` is set, a host that is a non-public address literal or `localhost` is
/// refused (names are checked when they are resolved, at each delivery). The parsed URL, or
/// what is wrong.
pub fn check_url(raw: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    if raw.len() > MAX_URL_BYTES {
        return Err(format!("a URL of at most {MAX_URL_BYTES} bytes"));
    }
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("use an http:// or https:// URL, not {}://", url.scheme()));
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| "the URL needs a host".to_owned())?;
    if !allow_private {
        let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        if let Ok(ip) = literal.parse::<IpAddr>()
            && is_private(ip)
        {
            return Err(format!("{ip} is a private, loopback or link-local address; use a public address"));
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return Err("localhost is not reachable from the server; use a public address".to_owned());
        }
    }
    Ok(url)
}

/// Resolves host names to their public addresses only (used when private targets are not
/// allowed), so that a name pointing into the server's network is refused at connect time.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| !is_private(a.ip())).collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address (private targets are not allowed)").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client deliveries are sent with: the attempt timeout, no redirects (a 3xx is a
/// failed attempt, so a redirect cannot lead around the address policy), and the public-only
/// resolver unless private targets are allowed.
pub fn client(config: &WebhooksConfig) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_millis(config.timeout_ms.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("CreativeFlow-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !config.allow_private_targets {
        builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
    }
    Ok(builder.build()?)
}

/// The wait before retrying after `attempts` failed attempts: `retry_base_ms ×
/// retry_factor^(attempts-1)`, at most `retry_max_delay_ms`.
pub fn backoff_ms(config: &WebhooksConfig, attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 62)).unwrap_or(0);
    let factor = u64::from(config.retry_factor.max(1)).saturating_pow(exponent);
    let ms = config.retry_base_ms.saturating_mul(factor).min(config.retry_max_delay_ms);
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// `ms` since the Unix epoch as RFC 3339 UTC with milliseconds (`2026-01-31T12:00:00.000Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    let rem = ms.rem_euclid(86_400_000);
    let (year, month, day) = crate::db::civil_date(ms);
    let (h, m, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// The request body of a delivery: `{"type", "timestamp" (the event's time), "data"}`.
pub fn envelope(event_type: &str, created_at: i64, payload: &str) -> String {
    let data: serde_json::Value = serde_json::from_str(payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({ "type": event_type, "timestamp": rfc3339_ms(created_at), "data": data }).to_string()
}

/// Starts the sender: it sends due deliveries when woken and every `poll_ms`, until aborted.
pub fn spawn_sender(state: AppState) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let http = client(&state.config.webhooks)?;
    Ok(tokio::spawn(run(state, http)))
}

async fn run(state: AppState, http: reqwest::Client) {
    let config = state.config.webhooks.clone();
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let poll = Duration::from_millis(config.poll_ms.max(1));
    let lease_ms = i64::try_from(config.timeout_ms).unwrap_or(i64::MAX / 2).saturating_add(LEASE_MARGIN_MS);
    let retention_ms = i64::try_from(config.retention_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let mut last_prune: Option<Instant> = None;
    loop {
        if last_prune.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
            last_prune = Some(Instant::now());
            match state.db.prune_webhook_deliveries(now_ms().saturating_sub(retention_ms)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deliveries = n, "pruned finished webhook deliveries"),
                Err(e) => tracing::warn!(error = %e, "pruning webhook deliveries failed"),
            }
        }
        loop {
            let free = permits.available_permits();
            if free == 0 {
                break;
            }
            let batch = match state.db.claim_webhook_deliveries(i64::try_from(free).unwrap_or(1), lease_ms).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(error = %e, "claiming webhook deliveries failed");
                    break;
                }
            };
            let full = batch.len() >= free;
            for delivery in batch {
                let Ok(permit) = permits.clone().acquire_owned().await else { return };
                let (state, http) = (state.clone(), http.clone());
                tokio::spawn(async move {
                    attempt(&state, &http, delivery).await;
                    drop(permit);
                    wake_sender();
                });
            }
            if !full {
                break;
            }
        }
        let wait = if permits.available_permits() == 0 {
            poll
        } else {
            match state.db.next_webhook_due().await {
                Ok(Some(due)) => Duration::from_millis(u64::try_from(due.saturating_sub(now_ms())).unwrap_or(0)),
                Ok(None) => poll,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the webhook outbox failed");
                    poll
                }
            }
        };
        tokio::select! {
            () = WAKE.notified() => {}
            () = tokio::time::sleep(wait.clamp(MIN_PAUSE, poll.max(MIN_PAUSE))) => {}
        }
    }
}

/// Sends one claimed delivery and records the outcome.
async fn attempt(state: &AppState, http: &reqwest::Client, delivery: ClaimedDelivery) {
    let config = &state.config.webhooks;
    let attempted_at = now_ms();
    let started = Instant::now();
    let result = send(http, config, &delivery).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error) = match result {
        Ok(status) => (Some(status), None),
        Err((status, error)) => (status, Some(error)),
    };
    let outcome = AttemptOutcome { attempted_at, status_code, error, duration_ms };
    let attempts = delivery.attempts + 1;
    let retry_at = now_ms().saturating_add(backoff_ms(config, attempts));
    let max_attempts = i64::from(config.retry_max_attempts.max(1));
    match state.db.record_webhook_attempt(&delivery, &outcome, max_attempts, retry_at).await {
        Ok(AttemptRecorded::Delivered) => state.metrics.webhook_attempt("delivered"),
        Ok(AttemptRecorded::Retry(_)) => {
            state.metrics.webhook_attempt("retry");
            tracing::debug!(delivery = %delivery.id, attempts, error = ?outcome.error, "webhook attempt failed; will retry");
        }
        Ok(AttemptRecorded::Failed) => {
            state.metrics.webhook_attempt("failed");
            tracing::warn!(delivery = %delivery.id, endpoint = %delivery.endpoint_id, attempts,
                error = ?outcome.error, "giving up on a webhook delivery");
        }
        Ok(AttemptRecorded::LeaseLost) => {
            tracing::warn!(delivery = %delivery.id, "webhook attempt not recorded: its lease ran out or the endpoint is gone");
        }
        Err(e) => tracing::error!(error = %e, delivery = %delivery.id, "recording a webhook attempt failed"),
    }
}

/// POSTs a delivery: the 2xx status, or (the status if any, what went wrong).
async fn send(
    http: &reqwest::Client,
    config: &WebhooksConfig,
    delivery: &ClaimedDelivery,
) -> Result<u16, (Option<u16>, String)> {
    let url = check_url(&delivery.url, config.allow_private_targets).map_err(|e| (None, format!("refused: {e}")))?;
    let body = envelope(&delivery.event_type, delivery.created_at, &delivery.payload);
    let id = delivery.id.to_string();
    let timestamp = now_ms() / 1000;
    let signature = sign(&delivery.secret, &id, timestamp, &body).map_err(|e| (None, e.to_string()))?;
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| (e.status().map(|s| s.as_u16()), describe(&e, config.timeout_ms)))?;
    let status = response.status();
    if status.is_success() { Ok(status.as_u16()) } else { Err((Some(status.as_u16()), format!("HTTP {status}"))) }
}

/// A transport error with its causes, e.g. `connection refused`.
fn describe(e: &reqwest::Error, timeout_ms: u64) -> String {
    if e.is_timeout() {
        return format!("timed out after {timeout_ms} ms");
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WebhooksConfig {
        WebhooksConfig {
            allow_private_targets: false,
            timeout_ms: 1000,
            retry_base_ms: 1000,
            retry_factor: 2,
            retry_max_delay_ms: 10_000,
            retry_max_attempts: 5,
            poll_ms: 1000,
            concurrency: 4,
            retention_days: 30,
        }
    }

    #[test]
    fn backoff_grows_by_the_factor_up_to_the_cap() {
        let c = config();
        assert_eq!(backoff_ms(&c, 1), 1000);
        assert_eq!(backoff_ms(&c, 2), 2000);
        assert_eq!(backoff_ms(&c, 4), 8000);
        assert_eq!(backoff_ms(&c, 5), 10_000);
        assert_eq!(backoff_ms(&c, 500), 10_000);
        assert_eq!(backoff_ms(&c, 0), 1000);
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks reference implementations.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(sign(secret, id, 1_614_265_330, body).unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(sign("whsec_not base64!", id, 1, body).is_err());
        let fresh = new_secret();
        assert!(fresh.starts_with(SECRET_PREFIX));
        assert_eq!(STANDARD.decode(&fresh[SECRET_PREFIX.len()..]).unwrap().len(), 32);
    }

    #[test]
    fn urls_must_be_http_and_public_unless_allowed() {
        assert!(check_url("https://hooks.example.com/cf", false).is_ok());
        assert!(check_url("http://93.184.216.34:8080/x", false).is_ok());
        assert!(check_url("ftp://example.com/x", true).is_err());
        assert!(check_url("not a url", true).is_err());
        assert!(check_url(&format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES)), true).is_err());
        for private in [
            "http://127.0.0.1:9000/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
            "http://localhost:3000/",
            "http://api.localhost/",
        ] {
            assert!(check_url(private, false).is_err(), "{private}");
            assert!(check_url(private, true).is_ok(), "{private}");
        }
        assert!(!is_private("2606:4700::1111".parse().unwrap()));
        assert!(is_private("64:ff9b::a00:1".parse().unwrap()));
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_614_265_330_123), "2021-02-25T15:02:10.123Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        let body: serde_json::Value = serde_json::from_str(&envelope("webhook.test", 0, r#"{"a":1}"#)).unwrap();
        assert_eq!(body["type"], "webhook.test");
        assert_eq!(body["data"]["a"], 1);
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00.000Z");
    }
}
