//! The report cache and single-flight.
//!
//! Each target (host, port, SNI, mode) has at most one scan running — a [`Flight`] — and
//! every request for it while it runs joins that flight instead of starting another. A
//! finished flight leaves its outcome in the cache: reports for `ttl`, failures for
//! `failure_ttl` (so a dead host is not rescanned on every request), as serialised JSON so a
//! cache hit costs no serialisation. The cache is bounded by size; the oldest entries go
//! first.
//!
//! With `--redis` the finished outcomes are also stored in Redis ([`RedisShared`]), so a
//! report scanned through one replica is a hit on the others; this cache stays the fallback
//! when Redis does not answer, and the flights stay local.
//!
//! A flight keeps every update it has seen (the quick report, progress), so a request that
//! joins late still gets the whole story; they are few and small.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use shared::ScanProgress;
use tokio::sync::watch;

use super::api_error::ApiFailure;
use super::shared::RedisShared;
use crate::scan::ScanRequest;
use crate::target::Target;

/// How the cache behaves, with its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long a report is served from the cache.
    pub ttl: Duration,
    /// How long a failed scan's answer is served from the cache.
    pub failure_ttl: Duration,
    /// The most the cache holds, in bytes of JSON (roughly its memory).
    pub max_bytes: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(600),
            failure_ttl: Duration::from_secs(30),
            max_bytes: 32 * 1024 * 1024,
        }
    }
}

/// What identifies a scan: equal keys give the same report.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScanKey {
    pub target: Target,
    pub sni: Option<String>,
    pub full: bool,
    /// One chosen address of the name (`endpoint=`), or every address.
    pub endpoint: Option<std::net::IpAddr>,
}

impl ScanKey {
    pub fn of(request: &ScanRequest) -> Self {
        Self {
            target: request.target.clone(),
            sni: request.sni.clone(),
            full: request.mode == shared::ScanMode::Full,
            endpoint: request.endpoint,
        }
    }

    /// The same target in the other mode.
    #[must_use]
    pub fn with_full(&self, full: bool) -> Self {
        Self {
            full,
            ..self.clone()
        }
    }
}

/// A finished scan: the report as JSON, or why there is none.
pub type Outcome = Result<Bytes, ApiFailure>;

/// A cached outcome and its age.
#[derive(Debug, Clone)]
pub struct Cached {
    pub outcome: Outcome,
    pub age: Duration,
}

/// An intermediate result of a running scan.
#[derive(Debug, Clone)]
pub enum FlightUpdate {
    /// The provisional (quick) report, as JSON.
    Quick(Bytes),
    Progress(ScanProgress),
}

/// What a flight has produced so far.
#[derive(Debug, Clone, Default)]
pub struct FlightState {
    pub updates: Vec<FlightUpdate>,
    /// Set once, when the scan ends.
    pub outcome: Option<Outcome>,
}

/// One running scan that any number of requests follow.
#[derive(Debug)]
pub struct Flight {
    state: watch::Sender<FlightState>,
}

impl Flight {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            state: watch::Sender::new(FlightState::default()),
        })
    }

    /// Follows the flight from its start (updates so far are replayed).
    pub fn follow(&self) -> watch::Receiver<FlightState> {
        let mut receiver = self.state.subscribe();
        receiver.mark_changed();
        receiver
    }

    pub fn push(&self, update: FlightUpdate) {
        self.state.send_modify(|s| s.updates.push(update));
    }

    fn finish(&self, outcome: Outcome) {
        self.state.send_modify(|s| {
            if s.outcome.is_none() {
                s.outcome = Some(outcome);
            }
        });
    }

    pub fn is_finished(&self) -> bool {
        self.state.borrow().outcome.is_some()
    }
}

/// The answer to "what about this key?".
#[derive(Debug)]
pub enum Lookup {
    Hit(Cached),
    Running(Arc<Flight>),
    Miss,
}

#[derive(Debug, Default)]
struct Entry {
    done: Option<Done>,
    running: Option<Arc<Flight>>,
}

#[derive(Debug)]
struct Done {
    outcome: Outcome,
    stored: Instant,
    expires: Instant,
    size: usize,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<ScanKey, Entry>,
    bytes: usize,
}

/// The cache and the flights (see the module docs).
#[derive(Debug)]
pub struct ReportCache {
    config: CacheConfig,
    inner: Mutex<Inner>,
    /// The replicas' shared cache (`--redis`), asked after this one.
    shared: Option<Arc<RedisShared>>,
}

/// Bookkeeping bytes counted per entry besides its JSON.
const ENTRY_OVERHEAD: usize = 256;

impl ReportCache {
    pub fn new(config: CacheConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner::default()),
            shared: None,
        }
    }

    /// Also stores outcomes in, and looks them up from, the replicas' Redis.
    #[must_use]
    pub fn with_shared(mut self, shared: Option<Arc<RedisShared>>) -> Self {
        self.shared = shared;
        self
    }

    /// The replicas' Redis, if shared.
    pub fn shared(&self) -> Option<&Arc<RedisShared>> {
        self.shared.as_ref()
    }

    /// A fresh outcome another replica (or this one) stored in Redis; `None` without
    /// `--redis`, on a miss, or when Redis does not answer. It is kept here too (see
    /// [`remember`](Self::remember)).
    pub async fn lookup_shared(&self, key: &ScanKey) -> Option<Cached> {
        let cached = self.shared.as_ref()?.get_report(key).await.flatten()?;
        self.remember(key, &cached, Instant::now());
        Some(cached)
    }

    /// Keeps an outcome read from Redis in this cache for what is left of its TTL, counted
    /// from when it was stored: without this, every later request for it on this replica
    /// was one more Redis round trip (measured: half a `GET` per cached verdict with three
    /// replicas), where the replica that scanned answered from memory.
    fn remember(&self, key: &ScanKey, cached: &Cached, now: Instant) {
        let ttl = match &cached.outcome {
            Ok(_) => self.config.ttl,
            Err(_) => self.config.failure_ttl,
        };
        let Some(left) = ttl.checked_sub(cached.age).filter(|left| !left.is_zero()) else {
            return;
        };
        let size = ENTRY_OVERHEAD
            + match &cached.outcome {
                Ok(json) => json.len(),
                Err(failure) => failure.error.message.len(),
            };
        if size > self.config.max_bytes {
            return;
        }
        let mut inner = self.lock();
        let Inner { entries, bytes } = &mut *inner;
        let entry = entries.entry(key.clone()).or_default();
        if entry.done.as_ref().is_some_and(|d| d.expires > now) {
            // This replica has a fresh one of its own (it finished meanwhile).
            return;
        }
        if let Some(old) = entry.done.take() {
            *bytes -= old.size;
        }
        entry.done = Some(Done {
            outcome: cached.outcome.clone(),
            stored: now.checked_sub(cached.age).unwrap_or(now),
            expires: now + left,
            size,
        });
        *bytes += size;
        self.evict(&mut inner, now);
    }

    /// Stores `outcome` in Redis for the other replicas, for as long as this cache keeps it.
    pub async fn store_shared(&self, key: &ScanKey, outcome: &Outcome) {
        let Some(shared) = &self.shared else {
            return;
        };
        let ttl = match outcome {
            Ok(_) => self.config.ttl,
            Err(_) => self.config.failure_ttl,
        };
        shared.put_report(key, outcome, ttl).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock means a panic mid-update elsewhere; the map itself is still sound.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh cached outcome (unless `refresh`), else the flight running for `key`.
    pub fn lookup(&self, key: &ScanKey, refresh: bool, now: Instant) -> Lookup {
        let inner = self.lock();
        let Some(entry) = inner.entries.get(key) else {
            return Lookup::Miss;
        };
        if !refresh && let Some(done) = entry.done.as_ref().filter(|d| d.expires > now) {
            return Lookup::Hit(Cached {
                outcome: done.outcome.clone(),
                age: now.saturating_duration_since(done.stored),
            });
        }
        match &entry.running {
            Some(flight) => Lookup::Running(flight.clone()),
            None => Lookup::Miss,
        }
    }

    /// Registers a new flight for `key`; if one started meanwhile, returns that one instead
    /// (`Err`) for the caller to join.
    pub fn start(&self, key: &ScanKey) -> Result<Arc<Flight>, Arc<Flight>> {
        let mut inner = self.lock();
        let entry = inner.entries.entry(key.clone()).or_default();
        if let Some(running) = &entry.running {
            return Err(running.clone());
        }
        let flight = Flight::new();
        entry.running = Some(flight.clone());
        Ok(flight)
    }

    /// Stores the outcome of `flight` and tells its followers.
    pub fn finish(&self, key: &ScanKey, flight: &Arc<Flight>, outcome: Outcome, now: Instant) {
        self.settle(key, flight, outcome, now, true);
    }

    /// Tells the followers of `flight` its outcome without storing it: what the probe's own
    /// state decided (overloaded, waited too long in the queue, shutting down, the scan
    /// stopped half-way) says nothing about the target, and must not be served to everyone
    /// else as the target's answer for `failure_ttl`.
    pub fn finish_unstored(&self, key: &ScanKey, flight: &Arc<Flight>, outcome: Outcome) {
        self.settle(key, flight, outcome, Instant::now(), false);
    }

    fn settle(
        &self,
        key: &ScanKey,
        flight: &Arc<Flight>,
        outcome: Outcome,
        now: Instant,
        store: bool,
    ) {
        {
            let mut inner = self.lock();
            let ttl = match &outcome {
                Ok(_) => self.config.ttl,
                Err(_) => self.config.failure_ttl,
            };
            let size = ENTRY_OVERHEAD
                + match &outcome {
                    Ok(json) => json.len(),
                    Err(failure) => failure.error.message.len(),
                };
            let Inner { entries, bytes } = &mut *inner;
            let entry = entries.entry(key.clone()).or_default();
            if entry
                .running
                .as_ref()
                .is_some_and(|r| Arc::ptr_eq(r, flight))
            {
                entry.running = None;
            }
            if !store {
                // An earlier outcome, if any, stays as it was.
            } else if let Some(old) = entry.done.take() {
                *bytes -= old.size;
            }
            if store && !ttl.is_zero() && size <= self.config.max_bytes {
                entry.done = Some(Done {
                    outcome: outcome.clone(),
                    stored: now,
                    expires: now + ttl,
                    size,
                });
                *bytes += size;
            }
            if entry.done.is_none() && entry.running.is_none() {
                entries.remove(key);
            }
            self.evict(&mut inner, now);
        }
        flight.finish(outcome);
    }

    /// Drops expired entries, then the oldest, until the cache fits its budget again.
    fn evict(&self, inner: &mut Inner, now: Instant) {
        if inner.bytes <= self.config.max_bytes {
            return;
        }
        let Inner { entries, bytes } = inner;
        let forget = |entry: &mut Entry, bytes: &mut usize| {
            if let Some(done) = entry.done.take() {
                *bytes -= done.size;
            }
        };
        for entry in entries.values_mut() {
            if entry.done.as_ref().is_some_and(|d| d.expires <= now) {
                forget(entry, bytes);
            }
        }
        if *bytes > self.config.max_bytes {
            let mut by_age: Vec<(Instant, ScanKey)> = entries
                .iter()
                .filter_map(|(k, e)| e.done.as_ref().map(|d| (d.stored, k.clone())))
                .collect();
            by_age.sort_by_key(|(stored, _)| *stored);
            let target = self.config.max_bytes / 10 * 9;
            for (_, key) in by_age {
                if *bytes <= target {
                    break;
                }
                if let Some(entry) = entries.get_mut(&key) {
                    forget(entry, bytes);
                }
            }
        }
        entries.retain(|_, e| e.done.is_some() || e.running.is_some());
    }

    /// (entries, bytes) held now.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    /// Flights still running.
    pub fn running(&self) -> usize {
        self.lock()
            .entries
            .values()
            .filter(|e| e.running.is_some())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ErrorCode;

    fn key(host: &str) -> ScanKey {
        ScanKey {
            target: Target::parse(host).unwrap(),
            sni: None,
            full: false,
            endpoint: None,
        }
    }

    fn cache(max_bytes: usize) -> ReportCache {
        ReportCache::new(CacheConfig {
            ttl: Duration::from_secs(60),
            failure_ttl: Duration::from_secs(5),
            max_bytes,
        })
    }

    #[test]
    fn one_flight_per_key_then_a_cached_outcome() {
        let cache = cache(1 << 20);
        let now = Instant::now();
        let k = key("a.example");
        assert!(matches!(cache.lookup(&k, false, now), Lookup::Miss));
        let flight = cache.start(&k).unwrap();
        let again = cache.start(&k).unwrap_err();
        assert!(Arc::ptr_eq(&flight, &again));
        assert!(matches!(cache.lookup(&k, false, now), Lookup::Running(_)));
        let mut follower = flight.follow();
        cache.finish(&k, &flight, Ok(Bytes::from_static(b"{}")), now);
        assert!(follower.borrow_and_update().outcome.is_some());
        assert_eq!(cache.running(), 0);
        match cache.lookup(&k, false, now + Duration::from_secs(10)) {
            Lookup::Hit(c) => {
                assert_eq!(c.outcome.unwrap(), Bytes::from_static(b"{}"));
                assert_eq!(c.age, Duration::from_secs(10));
            }
            other => panic!("{other:?}"),
        }
        // A refresh skips the cached outcome; expiry forgets it.
        assert!(matches!(cache.lookup(&k, true, now), Lookup::Miss));
        assert!(matches!(
            cache.lookup(&k, false, now + Duration::from_secs(61)),
            Lookup::Miss
        ));
    }

    #[test]
    fn failures_are_kept_briefly() {
        let cache = cache(1 << 20);
        let now = Instant::now();
        let k = key("b.example");
        let flight = cache.start(&k).unwrap();
        let failure = ApiFailure::new(ErrorCode::Timeout, "slow");
        cache.finish(&k, &flight, Err(failure), now);
        assert!(matches!(
            cache.lookup(&k, false, now + Duration::from_secs(4)),
            Lookup::Hit(Cached {
                outcome: Err(_),
                ..
            })
        ));
        assert!(matches!(
            cache.lookup(&k, false, now + Duration::from_secs(6)),
            Lookup::Miss
        ));
    }

    #[test]
    fn the_probes_own_refusals_are_not_stored() {
        let cache = cache(1 << 20);
        let now = Instant::now();
        let k = key("d.example");
        let flight = cache.start(&k).unwrap();
        let mut follower = flight.follow();
        let busy = ApiFailure::new(ErrorCode::Overloaded, "waited too long");
        cache.finish_unstored(&k, &flight, Err(busy));
        // The followers are told...
        assert!(follower.borrow_and_update().outcome.is_some());
        // ...and nobody after them.
        assert!(matches!(cache.lookup(&k, false, now), Lookup::Miss));
        assert_eq!(cache.size(), (0, 0));
        // An earlier report stays served.
        let first = cache.start(&k).unwrap();
        cache.finish(&k, &first, Ok(Bytes::from_static(b"old")), now);
        let second = cache.start(&k).unwrap();
        cache.finish_unstored(
            &k,
            &second,
            Err(ApiFailure::new(ErrorCode::Overloaded, "x")),
        );
        assert!(matches!(
            cache.lookup(&k, false, now),
            Lookup::Hit(Cached { outcome: Ok(_), .. })
        ));
    }

    #[test]
    fn a_refresh_flight_leaves_the_old_report_served() {
        let cache = cache(1 << 20);
        let now = Instant::now();
        let k = key("c.example");
        let first = cache.start(&k).unwrap();
        cache.finish(&k, &first, Ok(Bytes::from_static(b"old")), now);
        let refresh = cache.start(&k).unwrap();
        assert!(matches!(cache.lookup(&k, false, now), Lookup::Hit(_)));
        assert!(matches!(cache.lookup(&k, true, now), Lookup::Running(_)));
        cache.finish(&k, &refresh, Ok(Bytes::from_static(b"new")), now);
        match cache.lookup(&k, false, now) {
            Lookup::Hit(c) => assert_eq!(c.outcome.unwrap(), Bytes::from_static(b"new")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_cache_stays_within_its_budget_dropping_the_oldest() {
        let cache = cache(10 * (ENTRY_OVERHEAD + 1000));
        let start = Instant::now();
        for i in 0..50u64 {
            let k = key(&format!("h{i}.example"));
            let flight = cache.start(&k).unwrap();
            let now = start + Duration::from_millis(i);
            cache.finish(&k, &flight, Ok(Bytes::from(vec![b'x'; 1000])), now);
        }
        let (entries, bytes) = cache.size();
        assert!(bytes <= 10 * (ENTRY_OVERHEAD + 1000), "{bytes}");
        assert!((5..=10).contains(&entries), "{entries}");
        let later = start + Duration::from_millis(60);
        assert!(matches!(
            cache.lookup(&key("h49.example"), false, later),
            Lookup::Hit(_)
        ));
        assert!(matches!(
            cache.lookup(&key("h0.example"), false, later),
            Lookup::Miss
        ));
    }
}
