//! Fixed one-minute windows per client address and per license key, in memory.
//!
//! Policy (issue 17 §2, docs/API.md "Rate limits"): two tables, one of client addresses and one
//! of license keys, each with its own bound ([`Bounds`]). A table at its bound makes room by
//! dropping its least recently used bucket, so a full table never refuses anybody: the worst a
//! flood of fresh addresses can do is give an evicted address a fresh count. Every bucket belongs
//! to the current window; when the window ends, all of them are dropped at once. A license key
//! gets a bucket only when the caller has found the key in the store ([`RateLimiter::check_key`]
//! is called after the lookup), so made-up keys count against the caller's address alone.
//!
//! On PostgreSQL the counts are shared by every replica on the database: each request is counted
//! in the store's `rate_counts` table (one atomic upsert per bucket), so N replicas do not give a
//! client N allowances. The windows and limits are the same. When the database does not answer
//! a count, the request is refused (429 until the window ends, and a warning logged): a database
//! that fails, or a connection pool an attacker has filled, must not lift the limit. A request
//! counts in the newest window this process has seen, never an older one (a request that read
//! the clock before a slow body), and the rows of the window before the current one are kept, so
//! replicas whose clocks differ by less than a window do not drop each other's counts. SQLite
//! serves one process, whose in-memory tables are the counts.

use crate::activation::key_hash;
use crate::store::Store;
use hashlink::LruCache;
use licet_verifier::LicenseKey;
use std::collections::hash_map::RandomState;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

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

/// Window length in seconds.
pub const WINDOW_SECS: i64 = 60;

/// Default bound of the address table: the previous single table's size, now for addresses
/// alone (60 bytes a bucket, 11.4 MiB when full: measured, docs/API.md).
pub const DEFAULT_MAX_ADDRESS_BUCKETS: usize = 200_000;
/// Default bound of the license-key table. Only keys that exist get a bucket, so this bounds the
/// distinct real keys used in one minute on one replica before the least recent lose their count
/// (76 bytes a bucket, 7.2 MiB when full).
pub const DEFAULT_MAX_KEY_BUCKETS: usize = 100_000;

/// How many buckets each table may hold. A bound of 0 is taken as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Client-address buckets (an IPv4 address or an IPv6 /64 each).
    pub addresses: usize,
    /// License-key buckets.
    pub keys: usize,
}

impl Default for Bounds {
    /// [`DEFAULT_MAX_ADDRESS_BUCKETS`] and [`DEFAULT_MAX_KEY_BUCKETS`].
    fn default() -> Self {
        Bounds {
            addresses: DEFAULT_MAX_ADDRESS_BUCKETS,
            keys: DEFAULT_MAX_KEY_BUCKETS,
        }
    }
}

/// What a client address counts as: an IPv4 address, or the /64 of an IPv6 address (the block
/// one client holds). Byte arrays keep the bucket small (9 bytes, no heap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Client {
    V4([u8; 4]),
    V6Net([u8; 8]),
}

impl Client {
    /// The name of this client's bucket in the shared table.
    fn shared_bucket(&self) -> Vec<u8> {
        match self {
            Client::V4(octets) => [b"ip4:".as_slice(), octets].concat(),
            Client::V6Net(net) => [b"ip6:".as_slice(), net].concat(),
        }
    }
}

/// What a client address counts as, for the listener's per-address connection bound too.
pub(crate) type ClientBlock = Client;

impl Client {
    pub(crate) fn of(ip: IpAddr) -> Self {
        // `to_canonical`: an IPv4 client reaching a dual-stack listener arrives as
        // `::ffff:a.b.c.d`; counted per /64 it would share `::/64` with every other IPv4 client.
        match ip.to_canonical() {
            IpAddr::V4(v4) => Client::V4(v4.octets()),
            IpAddr::V6(v6) => {
                let o = v6.octets();
                Client::V6Net([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
            }
        }
    }
}

/// The SHA-256 of a license key's canonical text.
type KeyId = [u8; 32];

fn key_id(key: &LicenseKey) -> KeyId {
    let mut id = [0u8; 32];
    for (to, from) in id.iter_mut().zip(key_hash(key)) {
        *to = from;
    }
    id
}

/// Request counters.
#[derive(Debug)]
pub struct RateLimiter {
    per_ip: u32,
    per_key: u32,
    windows: Mutex<Windows>,
    /// The last window whose older shared counts this process dropped.
    purged_before: AtomicI64,
    /// The newest window a shared count was made in (a count never goes to an older one).
    newest_window: AtomicI64,
}

// SipHash (`RandomState`), not a faster unkeyed hash: the flooder chooses the addresses and keys,
// and must not be able to pick ones that collide.
#[derive(Debug)]
struct Windows {
    current: i64,
    addresses: LruCache<Client, u32, RandomState>,
    keys: LruCache<KeyId, u32, RandomState>,
}

/// One bucket's count in the current window.
fn count_in<K: std::hash::Hash + Eq>(
    table: &mut LruCache<K, u32, RandomState>,
    bucket: K,
    limit: u32,
    reset: i64,
    count_it: bool,
) -> RateDecision {
    let count = if count_it {
        // `get_mut` marks the bucket most recently used; a new bucket past the bound pushes out the
        // least recently used one (`insert` removes it), so there is always room.
        match table.get_mut(&bucket) {
            Some(count) => {
                let before = *count;
                if before < limit {
                    *count += 1;
                }
                before
            }
            None => {
                if limit > 0 {
                    table.insert(bucket, 1);
                }
                0
            }
        }
    } else {
        // Peeking neither counts, nor makes a bucket, nor changes which bucket goes first.
        table.peek(&bucket).copied().unwrap_or(0)
    };
    let allowed = count < limit;
    let after = if allowed && count_it {
        count + 1
    } else {
        count
    };
    RateDecision {
        allowed,
        limit,
        remaining: limit - after.min(limit),
        reset,
    }
}

impl RateLimiter {
    /// Limits per minute per client address and per license key, with the [`Bounds::default`]
    /// table sizes.
    pub fn new(per_ip: u32, per_key: u32) -> Self {
        RateLimiter::with_bounds(per_ip, per_key, Bounds::default())
    }

    /// Limits per minute per client address and per license key, with the given table sizes.
    pub fn with_bounds(per_ip: u32, per_key: u32, bounds: Bounds) -> Self {
        RateLimiter {
            per_ip,
            per_key,
            windows: Mutex::new(Windows {
                current: i64::MIN,
                addresses: LruCache::with_hasher(bounds.addresses.max(1), RandomState::new()),
                keys: LruCache::with_hasher(bounds.keys.max(1), RandomState::new()),
            }),
            purged_before: AtomicI64::new(i64::MIN),
            newest_window: AtomicI64::new(i64::MIN),
        }
    }

    /// The tables, in the window of `now`, and that window's end.
    fn windows(&self, now: i64) -> (std::sync::MutexGuard<'_, Windows>, i64) {
        let window = now - now.rem_euclid(WINDOW_SECS);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if window > windows.current {
            // A new window: every counter starts afresh, so the old (expired) ones are dropped at
            // once.
            windows.current = window;
            windows.addresses.clear();
            windows.keys.clear();
        }
        // A request that read the clock before a slow body counts in the current window: an old
        // time must never rewind the window (that would clear every counter).
        let reset = windows.current.saturating_add(WINDOW_SECS);
        (windows, reset)
    }

    /// Counts a request from `ip`. IPv6 addresses count per /64, the block one client holds; an
    /// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) counts as its IPv4 address.
    pub fn check_ip_addr(&self, ip: IpAddr, now: i64) -> RateDecision {
        let (mut windows, reset) = self.windows(now);
        count_in(
            &mut windows.addresses,
            Client::of(ip),
            self.per_ip,
            reset,
            true,
        )
    }

    /// The state of `ip`'s window without counting a request (for the headers of a response
    /// whose request was counted already, such as a timeout).
    pub fn peek_ip_addr(&self, ip: IpAddr, now: i64) -> RateDecision {
        let (mut windows, reset) = self.windows(now);
        count_in(
            &mut windows.addresses,
            Client::of(ip),
            self.per_ip,
            reset,
            false,
        )
    }

    /// Counts a request for a license key. Call it only once the store has found the key: a key
    /// that does not exist must not get a bucket (a flood of made-up keys would otherwise push the
    /// real keys' counts out of the table).
    pub fn check_key(&self, key: &LicenseKey, now: i64) -> RateDecision {
        let (mut windows, reset) = self.windows(now);
        count_in(&mut windows.keys, key_id(key), self.per_key, reset, true)
    }

    /// Counts a request from `ip` where `store` shares counts between replicas, else as
    /// [`RateLimiter::check_ip_addr`].
    pub async fn count_ip_addr(
        &self,
        store: &Arc<dyn Store>,
        ip: IpAddr,
        now: i64,
    ) -> RateDecision {
        let bucket = Client::of(ip).shared_bucket();
        match self.shared(store, &bucket, self.per_ip, now, true).await {
            Some(decision) => decision,
            None => self.check_ip_addr(ip, now),
        }
    }

    /// [`RateLimiter::peek_ip_addr`] in the shared counts where `store` keeps them.
    pub async fn peek_ip_addr_in(
        &self,
        store: &Arc<dyn Store>,
        ip: IpAddr,
        now: i64,
    ) -> RateDecision {
        let bucket = Client::of(ip).shared_bucket();
        match self.shared(store, &bucket, self.per_ip, now, false).await {
            Some(decision) => decision,
            None => self.peek_ip_addr(ip, now),
        }
    }

    /// Counts a request for a (found) license key where `store` shares counts between
    /// replicas, else as [`RateLimiter::check_key`].
    pub async fn count_key(
        &self,
        store: &Arc<dyn Store>,
        key: &LicenseKey,
        now: i64,
    ) -> RateDecision {
        let bucket = [b"key:".as_slice(), &key_id(key)].concat();
        match self.shared(store, &bucket, self.per_key, now, true).await {
            Some(decision) => decision,
            None => self.check_key(key, now),
        }
    }

    /// The decision from the store's shared counts; `None` when the store keeps none (then the
    /// caller counts in memory). A failed count refuses the request.
    async fn shared(
        &self,
        store: &Arc<dyn Store>,
        bucket: &[u8],
        limit: u32,
        now: i64,
        count_it: bool,
    ) -> Option<RateDecision> {
        let current = now - now.rem_euclid(WINDOW_SECS);
        let window = current.max(self.newest_window.fetch_max(current, Ordering::Relaxed));
        let reset = window.saturating_add(WINDOW_SECS);
        let answer = if count_it {
            store.count_shared_request(bucket, window, limit).await
        } else {
            store.peek_shared_requests(bucket, window).await
        };
        let before = match answer {
            Ok(Some(before)) => before,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(cause = %e, "the shared rate-limit count failed; the request is refused");
                return Some(RateDecision {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset,
                });
            }
        };
        // Once a window per process, off the request's path: the counts of windows before the
        // previous one are dropped.
        if count_it && self.purged_before.fetch_max(window, Ordering::Relaxed) < window {
            let store = store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.forget_rate_windows_before(window - WINDOW_SECS).await {
                    tracing::warn!(cause = %e, "old shared rate-limit counts could not be dropped");
                }
            });
        }
        let allowed = before < limit;
        let after = if allowed && count_it {
            before + 1
        } else {
            before
        };
        Some(RateDecision {
            allowed,
            limit,
            remaining: limit - after.min(limit),
            reset,
        })
    }

    /// How many address and license-key buckets the tables hold now.
    pub fn bucket_counts(&self) -> (usize, usize) {
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (windows.addresses.len(), windows.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn key(n: u32) -> LicenseKey {
        LicenseKey::parse(&format!("AAAAA-AAAAA-AAAAA-AAAAA-{n:05}")).unwrap()
    }

    #[test]
    fn windows_count_and_reset() {
        let limiter = RateLimiter::new(2, 10);
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let t = 1_000_020;
        assert!(limiter.check_ip_addr(a, t).allowed);
        let second = limiter.check_ip_addr(a, t + 1);
        assert_eq!(
            (second.allowed, second.remaining, second.reset),
            (true, 0, 1_000_080)
        );
        assert!(!limiter.check_ip_addr(a, t + 2).allowed);
        assert!(
            limiter.check_ip_addr(b, t + 2).allowed,
            "addresses are counted apart"
        );
        assert!(
            limiter.check_ip_addr(a, t + 60).allowed,
            "a new window starts afresh"
        );
    }

    #[test]
    fn an_old_time_does_not_rewind_the_window() {
        let limiter = RateLimiter::new(1, 10);
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let t = 1_000_020;
        assert!(limiter.check_ip_addr(a, t + 60).allowed);
        // A slow request that read the clock in the previous minute.
        let late = limiter.check_ip_addr(b, t);
        assert_eq!(late.reset, 1_000_080 + 60, "counted in the current window");
        assert!(
            !limiter.check_ip_addr(a, t + 61).allowed,
            "the current window's counts survive"
        );
    }

    #[test]
    fn peeking_does_not_count() {
        let limiter = RateLimiter::new(3, 10);
        let ip = ip("10.0.0.1");
        let t = 1_000_020;
        assert_eq!(limiter.peek_ip_addr(ip, t).remaining, 3);
        assert_eq!(limiter.bucket_counts(), (0, 0), "peeking makes no bucket");
        limiter.check_ip_addr(ip, t);
        for _ in 0..5 {
            assert_eq!(limiter.peek_ip_addr(ip, t).remaining, 2);
        }
    }

    #[test]
    fn a_full_table_evicts_the_least_recently_used_and_refuses_nobody() {
        let limiter = RateLimiter::with_bounds(
            2,
            2,
            Bounds {
                addresses: 3,
                keys: 2,
            },
        );
        let t = 1_000_020;
        let addr = |n: u8| IpAddr::from([10, 0, 0, n]);
        for n in 1..=3 {
            limiter.check_ip_addr(addr(n), t);
            limiter.check_ip_addr(addr(n), t);
        }
        assert!(!limiter.check_ip_addr(addr(1), t).allowed);
        // 1 was used last, so 2 is the least recently used: the new address 4 pushes it out.
        let fresh = limiter.check_ip_addr(addr(4), t);
        assert!(fresh.allowed, "a full table still takes a new client");
        assert_eq!(fresh.remaining, 1);
        assert_eq!(limiter.bucket_counts().0, 3);
        assert!(
            !limiter.check_ip_addr(addr(1), t).allowed,
            "a recently used bucket keeps its count"
        );
        assert!(
            !limiter.check_ip_addr(addr(3), t).allowed,
            "so does one that was not the least recent"
        );
        assert_eq!(
            limiter.check_ip_addr(addr(2), t).remaining,
            1,
            "the evicted bucket's owner only got a fresh count"
        );

        // The key table is bounded apart from the address table, the same way.
        limiter.check_key(&key(1), t);
        limiter.check_key(&key(1), t);
        limiter.check_key(&key(2), t);
        assert!(!limiter.check_key(&key(1), t).allowed);
        assert!(limiter.check_key(&key(3), t).allowed, "key 2 is pushed out");
        assert!(!limiter.check_key(&key(1), t).allowed);
        assert_eq!(limiter.bucket_counts(), (3, 2));
    }

    #[test]
    fn bucket_counts_never_exceed_the_bounds() {
        let bounds = Bounds {
            addresses: 50,
            keys: 20,
        };
        let limiter = RateLimiter::with_bounds(3, 3, bounds);
        let t = 1_000_020;
        for n in 0..1_000u32 {
            let [_, _, hi, lo] = n.to_be_bytes();
            let decision = limiter.check_ip_addr(IpAddr::from([127, 1, hi, lo]), t);
            assert!(decision.allowed, "a new address is never refused");
            assert!(limiter.check_key(&key(n), t).allowed);
            let (addresses, keys) = limiter.bucket_counts();
            assert!(addresses <= bounds.addresses && keys <= bounds.keys);
        }
        assert_eq!(limiter.bucket_counts(), (50, 20));
        // IPv6 clients share the address bound.
        for n in 0..1_000u16 {
            limiter.check_ip_addr(IpAddr::from([0x2001, 0xdb8, n, 0, 0, 0, 0, 1]), t);
        }
        assert_eq!(limiter.bucket_counts(), (50, 20));
        // And a new window starts with empty tables.
        limiter.check_ip_addr(ip("10.0.0.1"), t + 60);
        assert_eq!(limiter.bucket_counts(), (1, 0));
    }

    #[test]
    fn an_ipv4_mapped_address_counts_as_its_ipv4_address() {
        let limiter = RateLimiter::new(2, 10);
        let t = 1_000_020;
        limiter.check_ip_addr(ip("::ffff:192.0.2.1"), t);
        let second = limiter.check_ip_addr(ip("192.0.2.1"), t);
        assert_eq!(second.remaining, 0, "one bucket for both spellings");
        assert!(
            limiter.check_ip_addr(ip("::ffff:192.0.2.2"), t).allowed,
            "another IPv4 client is not in the same bucket (not one ::/64 for all)"
        );
        assert_eq!(limiter.peek_ip_addr(ip("::ffff:192.0.2.2"), t).remaining, 1);
        // Two addresses in one IPv6 /64 still share a bucket.
        limiter.check_ip_addr(ip("2001:db8:1:2::1"), t);
        let same_net = limiter.check_ip_addr(ip("2001:db8:1:2::ffff"), t);
        assert_eq!(same_net.remaining, 0);
    }
}
