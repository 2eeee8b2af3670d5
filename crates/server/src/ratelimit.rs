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
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    current: i64,
    counts: HashMap<String, u32>,
}

/// Window length in seconds.
pub const WINDOW_SECS: i64 = 60;
/// Buckets one window may hold; past it, new buckets are refused (a flood of fresh addresses or
/// keys costs the flooder, not the server's memory).
pub const MAX_BUCKETS: usize = 200_000;

impl RateLimiter {
    /// Limits per minute per client address and per license key.
    pub fn new(per_ip: u32, per_key: u32) -> Self {
        RateLimiter {
            per_ip,
            per_key,
            windows: Mutex::new(Windows::default()),
        }
    }

    fn hit(&self, bucket: String, limit: u32, now: i64, count_it: bool) -> RateDecision {
        let window = now - now.rem_euclid(WINDOW_SECS);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if window > windows.current {
            // A new window: every counter starts afresh, so the old ones are dropped at once.
            windows.current = window;
            windows.counts.clear();
        }
        // A request that read the clock before a slow body counts in the current window: an old
        // time must never rewind the window (that would clear every counter).
        let reset = windows.current + WINDOW_SECS;
        let full = windows.counts.len() >= MAX_BUCKETS;
        let count = match windows.counts.get_mut(&bucket) {
            Some(count) => count,
            None if full => {
                return RateDecision {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset,
                }
            }
            None if !count_it => {
                return RateDecision {
                    allowed: true,
                    limit,
                    remaining: limit,
                    reset,
                }
            }
            None => windows.counts.entry(bucket).or_insert(0),
        };
        let allowed = *count < limit;
        if allowed && count_it {
            *count += 1;
        }
        RateDecision {
            allowed,
            limit,
            remaining: limit - (*count).min(limit),
            reset,
        }
    }

    /// Counts a request from `ip`. IPv6 addresses count per /64, the block one client holds.
    pub fn check_ip_addr(&self, ip: std::net::IpAddr, now: i64) -> RateDecision {
        self.check_ip(&ip_bucket(ip), now)
    }

    /// The state of `ip`'s window without counting a request (for the headers of a response
    /// whose request was counted already, such as a timeout).
    pub fn peek_ip_addr(&self, ip: std::net::IpAddr, now: i64) -> RateDecision {
        self.hit(format!("ip:{}", ip_bucket(ip)), self.per_ip, now, false)
    }

    /// Counts a request from `ip`.
    pub fn check_ip(&self, ip: &str, now: i64) -> RateDecision {
        self.hit(format!("ip:{ip}"), self.per_ip, now, true)
    }

    /// Counts a request for a license key (by its hash).
    pub fn check_key(&self, key_id: &str, now: i64) -> RateDecision {
        self.hit(format!("key:{key_id}"), self.per_key, now, true)
    }
}

/// IPv6 addresses count per /64, the block one client holds.
fn ip_bucket(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
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

    #[test]
    fn an_old_time_does_not_rewind_the_window() {
        let limiter = RateLimiter::new(1, 10);
        let t = 1_000_020;
        assert!(limiter.check_ip("a", t + 60).allowed);
        // A slow request that read the clock in the previous minute.
        let late = limiter.check_ip("b", t);
        assert_eq!(late.reset, 1_000_080 + 60, "counted in the current window");
        assert!(
            !limiter.check_ip("a", t + 61).allowed,
            "the current window's counts survive"
        );
    }

    #[test]
    fn peeking_does_not_count() {
        let limiter = RateLimiter::new(3, 10);
        let ip: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let t = 1_000_020;
        assert_eq!(limiter.peek_ip_addr(ip, t).remaining, 3);
        limiter.check_ip_addr(ip, t);
        for _ in 0..5 {
            assert_eq!(limiter.peek_ip_addr(ip, t).remaining, 2);
        }
    }
}
