//! Fixed one-minute windows per client address and per license key, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

/// The verdict for one request, with what the rate-limit headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// `X-RateLimit-Limit`.
    pub limit: u32,
    /// `X-RateLimit-Remaining`.
    pub remaining: u32,
    /// `X-RateLimit-Reset`: Unix seconds when the window ends.
    pub reset: i64,
}

/// Request counters.
#[derive(Debug)]
pub struct RateLimiter {
    per_ip: u32,
    per_key: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

/// Window length in seconds.
pub const WINDOW_SECS: i64 = 60;
const PRUNE_ABOVE: usize = 100_000;

impl RateLimiter {
    /// Limits per minute per client address and per license key.
    pub fn new(per_ip: u32, per_key: u32) -> Self {
        RateLimiter {
            per_ip,
            per_key,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn hit(&self, bucket: String, limit: u32, now: i64) -> RateDecision {
        let window = now - now.rem_euclid(WINDOW_SECS);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (start, _)| *start == window);
        }
        let entry = windows.entry(bucket).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        RateDecision {
            allowed,
            limit,
            remaining: limit - entry.1.min(limit),
            reset: window + WINDOW_SECS,
        }
    }

    /// Counts a request from `ip`.
    pub fn check_ip(&self, ip: &str, now: i64) -> RateDecision {
        self.hit(format!("ip:{ip}"), self.per_ip, now)
    }

    /// Counts a request for a license key (by its hash).
    pub fn check_key(&self, key_id: &str, now: i64) -> RateDecision {
        self.hit(format!("key:{key_id}"), self.per_key, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_and_reset() {
        let limiter = RateLimiter::new(2, 10);
        let t = 1_000_020;
        assert!(limiter.check_ip("a", t).allowed);
        let second = limiter.check_ip("a", t + 1);
        assert_eq!(
            (second.allowed, second.remaining, second.reset),
            (true, 0, 1_000_080)
        );
        assert!(!limiter.check_ip("a", t + 2).allowed);
        assert!(
            limiter.check_ip("b", t + 2).allowed,
            "addresses are counted apart"
        );
        assert!(
            limiter.check_ip("a", t + 60).allowed,
            "a new window starts afresh"
        );
    }
}
