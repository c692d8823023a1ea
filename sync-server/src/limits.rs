//! Rate limits (governor, GCRA): per client IP on every request, per user and per API key once
//! authenticated, and a slower bucket per IP for sign-in attempts. A refused request is a 429
//! problem with `Retry-After`.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::config::LimitsConfig;
use crate::error::ApiError;

/// One keyed limiter, or none when its rate is 0.
struct Keyed<K: Hash + Eq + Clone>(Option<DefaultKeyedRateLimiter<K>>);

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(quota: Option<Quota>) -> Keyed<K> {
        Keyed(quota.map(RateLimiter::keyed))
    }

    fn check(&self, key: &K) -> Result<(), ApiError> {
        let Some(limiter) = &self.0 else { return Ok(()) };
        limiter.check_key(key).map_err(|not_until| {
            ApiError::RateLimited(not_until.wait_time_from(DefaultClock::default().now()).max(Duration::from_secs(1)))
        })
    }

    fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
        }
    }
}

fn per_second(rate: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    Some(Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate)))
}

/// Every limiter the server applies.
#[derive(Clone)]
pub struct Limits {
    inner: Arc<Inner>,
}

struct Inner {
    ip: Keyed<IpAddr>,
    user: Keyed<Uuid>,
    key: Keyed<Uuid>,
    auth: Keyed<IpAddr>,
    second_factor: Keyed<Uuid>,
}

impl Limits {
    /// From `[limits]`.
    pub fn new(config: &LimitsConfig) -> Limits {
        let auth = NonZeroU32::new(config.auth_per_ip_per_min).map(Quota::per_minute);
        let second_factor = NonZeroU32::new(config.mfa_per_account_per_min).map(Quota::per_minute);
        Limits {
            inner: Arc::new(Inner {
                ip: Keyed::new(per_second(config.per_ip_per_sec, config.per_ip_burst)),
                user: Keyed::new(per_second(config.per_user_per_sec, config.per_user_burst)),
                key: Keyed::new(per_second(config.per_key_per_sec, config.per_key_burst)),
                auth: Keyed::new(auth),
                second_factor: Keyed::new(second_factor),
            }),
        }
    }

    /// A request from `ip`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.inner.ip.check(&ip)
    }

    /// A request by a signed-in user.
    pub fn check_user(&self, user: Uuid) -> Result<(), ApiError> {
        self.inner.user.check(&user)
    }

    /// A request with an API key.
    pub fn check_key(&self, key: Uuid) -> Result<(), ApiError> {
        self.inner.key.check(&key)
    }

    /// A sign-in attempt (password, code, reset) from `ip`.
    pub fn check_auth_attempt(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.inner.auth.check(&ip)
    }

    /// A second-factor attempt (TOTP or recovery code) for `user`, from any address: a stolen
    /// password plus many IPs still cannot try codes faster than this.
    pub fn check_second_factor(&self, user: Uuid) -> Result<(), ApiError> {
        self.inner.second_factor.check(&user)
    }

    /// Drops the state of keys that are back to full buckets (call now and then).
    pub fn forget_idle(&self) {
        self.inner.ip.forget_idle();
        self.inner.user.forget_idle();
        self.inner.key.forget_idle();
        self.inner.auth.forget_idle();
        self.inner.second_factor.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_with_a_wait() {
        let config = LimitsConfig {
            per_ip_per_sec: 1,
            per_ip_burst: 3,
            per_user_per_sec: 0,
            per_user_burst: 0,
            per_key_per_sec: 1,
            per_key_burst: 1,
            auth_per_ip_per_min: 2,
            mfa_per_account_per_min: 3,
        };
        let limits = Limits::new(&config);
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..3 {
            limits.check_ip(ip).unwrap();
        }
        let Err(ApiError::RateLimited(wait)) = limits.check_ip(ip) else { panic!("fourth request passes") };
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2), "{wait:?}");
        limits.check_ip([10, 0, 0, 1].into()).unwrap();
        for _ in 0..1000 {
            limits.check_user(Uuid::nil()).unwrap();
        }
        limits.check_auth_attempt(ip).unwrap();
        limits.check_auth_attempt(ip).unwrap();
        assert!(limits.check_auth_attempt(ip).is_err());
        for _ in 0..3 {
            limits.check_second_factor(Uuid::nil()).unwrap();
        }
        assert!(limits.check_second_factor(Uuid::nil()).is_err());
        limits.check_second_factor(Uuid::max()).unwrap();
    }
}
