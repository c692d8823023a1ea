//! Prometheus metrics at `/metrics`: request counts and latencies per route, sign-in outcomes,
//! emails sent, rate-limit refusals.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a finished request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// The route template (`/api/v1/projects/{id}`), or `unmatched`.
    pub route: String,
    /// Status code.
    pub status: u16,
}

/// Labels of a latency observation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// HTTP method.
    pub method: String,
    /// The route template.
    pub route: String,
}

/// An outcome label (`ok`, `bad_password`, `mfa_required`, …).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// What happened.
    pub outcome: String,
}

type HistogramMaker = fn() -> Histogram;

/// The server's metrics.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, HistogramMaker>,
    logins: Family<OutcomeLabels, Counter>,
    emails: Family<OutcomeLabels, Counter>,
    rate_limited: Counter,
    relay_events: Family<OutcomeLabels, Counter>,
    relay_updates: Counter,
    relay_documents: Gauge,
    relay_connections: Gauge,
    webhook_attempts: Family<OutcomeLabels, Counter>,
    generations: Family<OutcomeLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("creativeflow");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, HistogramMaker>::new_with_constructor(latency_histogram);
        let logins = Family::<OutcomeLabels, Counter>::default();
        let emails = Family::<OutcomeLabels, Counter>::default();
        let rate_limited = Counter::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register("http_request_duration_seconds", "Time to answer HTTP requests", latency.clone());
        registry.register("logins", "Sign-in attempts by outcome", logins.clone());
        registry.register("emails", "Outgoing emails by outcome", emails.clone());
        registry.register("rate_limited", "Requests refused by a rate limit", rate_limited.clone());
        let relay_events = Family::<OutcomeLabels, Counter>::default();
        let relay_updates = Counter::default();
        let relay_documents = Gauge::default();
        let relay_connections = Gauge::default();
        registry.register(
            "relay_events",
            "Relay incidents: malformed frames, slow clients cut off, viewer updates dropped",
            relay_events.clone(),
        );
        registry.register("relay_updates", "Document updates committed by the relay", relay_updates.clone());
        registry.register("relay_documents", "Documents loaded in the relay", relay_documents.clone());
        registry.register("relay_connections", "Open relay connections", relay_connections.clone());
        let webhook_attempts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts by outcome: delivered, retry (failed, will be retried), failed (given up)",
            webhook_attempts.clone(),
        );
        let generations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "generation_jobs",
            "Generation and final jobs that ended, by outcome: succeeded, failed, final_succeeded, final_failed",
            generations.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                requests,
                latency,
                logins,
                emails,
                rate_limited,
                relay_events,
                relay_updates,
                relay_documents,
                relay_connections,
                webhook_attempts,
                generations,
            }),
        }
    }
}

impl Metrics {
    /// Records a finished request.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.inner
            .latency
            .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
            .observe(seconds);
        self.inner.requests.get_or_create(&RequestLabels { method, route, status }).inc();
        if status == 429 {
            self.inner.rate_limited.inc();
        }
    }

    /// Records a sign-in outcome.
    pub fn login(&self, outcome: &str) {
        self.inner.logins.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// Records an email outcome (`sent`, `logged`, `failed`).
    pub fn email(&self, outcome: &str) {
        self.inner.emails.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// Counts a relay incident (`malformed_frame`, `slow_client_cut_off`, …).
    pub fn relay_event(&self, outcome: &str) {
        self.inner.relay_events.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// Counts committed updates.
    pub fn relay_updates(&self, n: u64) {
        self.inner.relay_updates.inc_by(n);
    }

    /// Moves the loaded-documents gauge.
    pub fn relay_documents(&self, delta: i64) {
        self.inner.relay_documents.inc_by(delta);
    }

    /// Moves the open-connections gauge.
    pub fn relay_connections(&self, delta: i64) {
        self.inner.relay_connections.inc_by(delta);
    }

    /// Counts a webhook delivery attempt (`delivered`, `retry`, `failed`).
    pub fn webhook_attempt(&self, outcome: &str) {
        self.inner.webhook_attempts.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// Counts a generation or final job that ended (`succeeded`, `failed`, `final_succeeded`,
    /// `final_failed`).
    pub fn generation_outcome(&self, outcome: &str) {
        self.inner.generations.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry);
        out
    }
}
