//! What keeps the probe from being a flood tool or being flooded: rate limits per client, per
//! target and for refreshes (429 + `Retry-After`), and a global cap on scans in flight with a
//! bounded queue in front of it (503 + `Retry-After`).
//!
//! Only requests that would start a scan count against the rate limits: answers from the
//! cache and requests that join a scan already running cost nothing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::shared::RedisShared;

/// The limits, with their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Scans running at once.
    pub max_scans: usize,
    /// Scans that may wait for a slot; beyond that, 503.
    pub queue: usize,
    /// The longest a scan waits for a slot before it is given up (503).
    pub queue_wait: Duration,
    /// New scans one client may start per minute (0: no limit).
    pub client_scans_per_minute: u32,
    /// New scans of one target (host and port) per minute, whoever asks (0: no limit).
    pub target_scans_per_minute: u32,
    /// `refresh=1` requests one client may make per minute (0: no limit).
    pub refreshes_per_minute: u32,
    /// Clients (and targets) whose rate is tracked at once; beyond that new ones are refused
    /// until old ones are forgotten, so the tables stay bounded.
    pub tracked_keys: usize,
    /// Scans one client may have in flight at once — started, or joined and waited on — so
    /// one client's slow (tarpit) targets cannot take every slot (0: no limit).
    pub client_scans_in_flight: usize,
    /// Event streams one client may hold open at once, so followers of one slow scan cannot
    /// hold every connection (0: no limit).
    pub client_streams: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_scans: 16,
            queue: 64,
            queue_wait: Duration::from_secs(30),
            client_scans_per_minute: 30,
            target_scans_per_minute: 10,
            refreshes_per_minute: 6,
            tracked_keys: 100_000,
            client_scans_in_flight: 3,
            client_streams: 4,
        }
    }
}

/// Token buckets by key: `per_minute` tokens a minute, at most `per_minute` saved up.
///
/// With `--redis` ([`RateLimiter::with_shared`]) the limit is kept in Redis instead, for all
/// replicas at once, as a one-minute window per key (an atomic script: count, expiry, refusal);
/// these buckets are the fallback while Redis does not answer.
#[derive(Debug)]
pub struct RateLimiter<K> {
    per_minute: u32,
    max_keys: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
    /// The replicas' Redis and this limiter's name in it.
    shared: Option<(Arc<RedisShared>, &'static str)>,
}

/// Where a token was taken, so that a refund goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// This replica's buckets.
    Local,
    /// The replicas' Redis.
    Shared,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(per_minute: u32, max_keys: usize) -> Self {
        Self {
            per_minute,
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Keeps the limit in the replicas' Redis under `kind` (these buckets as the fallback).
    #[must_use]
    pub fn with_shared(mut self, shared: Option<Arc<RedisShared>>, kind: &'static str) -> Self {
        self.shared = shared.map(|s| (s, kind));
        self
    }

    fn capacity(&self) -> f64 {
        f64::from(self.per_minute)
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.capacity() / 60.0).min(self.capacity());
        bucket.updated = now;
    }

    /// Takes a token for `key`, or says how long until one is there.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            // Forget the keys whose buckets are full again: they are as good as new.
            let capacity = self.capacity();
            let per_second = capacity / 60.0;
            buckets.retain(|_, b| {
                let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
                b.tokens + elapsed * per_second < capacity
            });
            if buckets.len() >= self.max_keys {
                return Err(Duration::from_secs(60));
            }
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.capacity(),
            updated: now,
        });
        self.refill(bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(Duration::from_secs_f64(missing * 60.0 / self.capacity()))
        }
    }

    /// Gives back a token taken for a request that then did not go ahead.
    pub fn refund(&self, key: &K) {
        if self.per_minute == 0 {
            return;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = buckets.get_mut(key) {
            bucket.tokens = (bucket.tokens + 1.0).min(self.capacity());
        }
    }

    /// Takes a token for `key` from Redis when shared and Redis answers, else from these
    /// buckets; or says how long until one is there.
    pub async fn take_shared(&self, key: &K, now: Instant) -> Result<Taken, Duration>
    where
        K: std::fmt::Display,
    {
        if self.per_minute == 0 {
            return Ok(Taken::Local);
        }
        if let Some((shared, kind)) = &self.shared
            && let Some(answer) = shared.take(kind, &key.to_string(), self.per_minute).await
        {
            return answer.map(|()| Taken::Shared);
        }
        self.take(key, now).map(|()| Taken::Local)
    }

    /// Gives back a token taken (by [`take_shared`](Self::take_shared)) where it was taken; a
    /// shared one in a task of its own, so that a drop never waits on Redis.
    pub fn refund_taken(&self, key: &K, taken: Taken)
    where
        K: std::fmt::Display,
    {
        match (taken, &self.shared) {
            (Taken::Shared, Some((shared, kind))) if self.per_minute != 0 => {
                let (shared, kind, key) = (shared.clone(), *kind, key.to_string());
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move { shared.refund(kind, &key).await });
                }
            }
            _ => self.refund(key),
        }
    }

    /// Keys tracked now.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or_default()
    }
}

/// What one client holds now: the scans it waits on (by flight, each with how many of its
/// requests wait on it; a reservation for a scan about to start) and its open streams.
#[derive(Debug, Default)]
struct ClientHolds {
    scans: HashMap<Waited, usize>,
    streams: usize,
}

/// A scan a client waits on: a flight (by its address, kept alive by the permit's `Arc`), or
/// a reservation for one not yet started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Waited {
    Flight(usize),
    Reserved(u64),
}

/// The per-client caps on scans in flight and open streams (see [`Limits`]).
#[derive(Debug)]
pub struct ClientCaps<K> {
    max_scans: usize,
    max_streams: usize,
    holds: Mutex<HashMap<K, ClientHolds>>,
    next_reservation: AtomicU64,
}

/// A client's share of the scan cap, given back on drop.
#[derive(Debug)]
pub struct ScanPermit<K: Hash + Eq + Clone, F> {
    caps: Arc<ClientCaps<K>>,
    client: K,
    waited: Waited,
    /// The flight waited on, kept so its address is not reused while this permit counts it.
    _flight: Option<Arc<F>>,
}

/// A client's share of the stream cap, given back on drop.
#[derive(Debug)]
pub struct StreamPermit<K: Hash + Eq + Clone> {
    caps: Arc<ClientCaps<K>>,
    client: K,
}

impl<K: Hash + Eq + Clone> ClientCaps<K> {
    pub fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(Self {
            max_scans: limits.client_scans_in_flight,
            max_streams: limits.client_streams,
            holds: Mutex::new(HashMap::new()),
            next_reservation: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, ClientHolds>> {
        self.holds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `client` waits on `flight` (already running): free if it waits on it already, else
    /// one more of its scans in flight. `None`: the client is at its cap.
    pub fn join<F>(self: &Arc<Self>, client: &K, flight: &Arc<F>) -> Option<ScanPermit<K, F>> {
        let waited = Waited::Flight(Arc::as_ptr(flight) as *const () as usize);
        self.hold(client, waited, Some(flight.clone()))
    }

    /// A place for a scan `client` is about to start; [`ScanPermit::started`] binds it to the
    /// flight. `None`: the client is at its cap.
    pub fn reserve<F>(self: &Arc<Self>, client: &K) -> Option<ScanPermit<K, F>> {
        let id = self.next_reservation.fetch_add(1, Ordering::Relaxed);
        self.hold(client, Waited::Reserved(id), None)
    }

    fn hold<F>(
        self: &Arc<Self>,
        client: &K,
        waited: Waited,
        flight: Option<Arc<F>>,
    ) -> Option<ScanPermit<K, F>> {
        let mut holds = self.lock();
        let entry = holds.entry(client.clone()).or_default();
        let full = self.max_scans != 0 && entry.scans.len() >= self.max_scans;
        match entry.scans.get_mut(&waited) {
            Some(count) => *count += 1,
            None if full => return None,
            None => {
                entry.scans.insert(waited, 1);
            }
        }
        Some(ScanPermit {
            caps: self.clone(),
            client: client.clone(),
            waited,
            _flight: flight,
        })
    }

    /// One more open stream for `client`. `None`: the client is at its cap.
    pub fn open_stream(self: &Arc<Self>, client: &K) -> Option<StreamPermit<K>> {
        let mut holds = self.lock();
        let entry = holds.entry(client.clone()).or_default();
        if self.max_streams != 0 && entry.streams >= self.max_streams {
            return None;
        }
        entry.streams += 1;
        Some(StreamPermit {
            caps: self.clone(),
            client: client.clone(),
        })
    }

    /// (scans waited on, open streams) of `client` now.
    pub fn held_by(&self, client: &K) -> (usize, usize) {
        self.lock()
            .get(client)
            .map_or((0, 0), |h| (h.scans.len(), h.streams))
    }

    /// Clients holding anything now (the table holds no others).
    pub fn clients(&self) -> usize {
        self.lock().len()
    }

    fn release(&self, client: &K, release: impl FnOnce(&mut ClientHolds)) {
        let mut holds = self.lock();
        if let Some(entry) = holds.get_mut(client) {
            release(entry);
            if entry.scans.is_empty() && entry.streams == 0 {
                holds.remove(client);
            }
        }
    }
}

impl<K: Hash + Eq + Clone, F> ScanPermit<K, F> {
    /// The reserved scan started as `flight` (or joined it, if another request started it
    /// a moment before).
    #[must_use]
    pub fn started(mut self, flight: &Arc<F>) -> Self {
        let waited = Waited::Flight(Arc::as_ptr(flight) as *const () as usize);
        if self.waited != waited {
            let mut holds = self.caps.lock();
            if let Some(entry) = holds.get_mut(&self.client) {
                remove_one(&mut entry.scans, self.waited);
                *entry.scans.entry(waited).or_default() += 1;
            }
            self.waited = waited;
            self._flight = Some(flight.clone());
        }
        self
    }
}

fn remove_one(scans: &mut HashMap<Waited, usize>, waited: Waited) {
    if let Some(count) = scans.get_mut(&waited) {
        *count -= 1;
        if *count == 0 {
            scans.remove(&waited);
        }
    }
}

impl<K: Hash + Eq + Clone, F> Drop for ScanPermit<K, F> {
    fn drop(&mut self) {
        let waited = self.waited;
        self.caps
            .release(&self.client, |h| remove_one(&mut h.scans, waited));
    }
}

impl<K: Hash + Eq + Clone> Drop for StreamPermit<K> {
    fn drop(&mut self) {
        self.caps
            .release(&self.client, |h| h.streams = h.streams.saturating_sub(1));
    }
}

/// Why a scan was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAdmitted {
    /// The queue is full.
    QueueFull,
    /// The scan waited `queue_wait` without a slot coming free.
    Waited,
    /// The probe is shutting down.
    Draining,
}

/// The cap on scans in flight, and the bounded queue in front of it.
#[derive(Debug)]
pub struct Admission {
    max_scans: usize,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    queue_wait: Duration,
    draining: AtomicBool,
}

impl Admission {
    pub fn new(limits: &Limits) -> Arc<Self> {
        let max_scans = limits.max_scans.max(1);
        Arc::new(Self {
            max_scans,
            slots: Arc::new(Semaphore::new(max_scans)),
            waiting: AtomicUsize::new(0),
            queue: limits.queue,
            queue_wait: limits.queue_wait,
            draining: AtomicBool::new(false),
        })
    }

    /// A place for one scan: a slot now, or a place in the queue.
    pub fn enter(self: &Arc<Self>) -> Result<Ticket, NotAdmitted> {
        if self.is_draining() {
            return Err(NotAdmitted::Draining);
        }
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Ticket {
                admission: self.clone(),
                permit: Some(permit),
                queued: false,
            });
        }
        let queued = self
            .waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.queue).then_some(n + 1)
            });
        match queued {
            Ok(_) => Ok(Ticket {
                admission: self.clone(),
                permit: None,
                queued: true,
            }),
            Err(_) => Err(NotAdmitted::QueueFull),
        }
    }

    /// Scans running now.
    pub fn in_flight(&self) -> usize {
        self.max_scans - self.slots.available_permits().min(self.max_scans)
    }

    /// Scans waiting for a slot.
    pub fn queued(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    pub fn max_scans(&self) -> usize {
        self.max_scans
    }

    pub fn queue_capacity(&self) -> usize {
        self.queue
    }

    /// From now on no new scan is admitted (shutdown); those admitted or queued go on.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// A guess at how long until a new scan would be admitted, given `mean` scan time.
    pub fn retry_after(&self, mean: Option<Duration>) -> Duration {
        let mean = mean.unwrap_or(Duration::from_secs(5));
        let rounds = 1 + self.queued() / self.max_scans;
        (mean * u32::try_from(rounds).unwrap_or(u32::MAX))
            .clamp(Duration::from_secs(1), Duration::from_secs(60))
    }
}

/// A scan's place: holds a slot, or a place in the queue until [`Ticket::admit`].
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    permit: Option<OwnedSemaphorePermit>,
    queued: bool,
}

impl Ticket {
    /// Waits (at most `queue_wait`) for a slot. The slot is held until the permit is dropped.
    pub async fn admit(mut self) -> Result<OwnedSemaphorePermit, NotAdmitted> {
        if let Some(permit) = self.permit.take() {
            return Ok(permit);
        }
        let slots = self.admission.slots.clone();
        let wait = self.admission.queue_wait;
        let permit = tokio::time::timeout(wait, slots.acquire_owned()).await;
        // Leaving the queue either way (the Drop below does the bookkeeping).
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_closed)) => Err(NotAdmitted::Draining),
            Err(_elapsed) => Err(NotAdmitted::Waited),
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.queued {
            self.admission.waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_the_rate_then_say_when() {
        let limiter = RateLimiter::new(2, 10);
        let start = Instant::now();
        assert!(limiter.take(&"a", start).is_ok());
        assert!(limiter.take(&"a", start).is_ok());
        let wait = limiter.take(&"a", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(30));
        // Another key has its own bucket.
        assert!(limiter.take(&"b", start).is_ok());
        // Half a minute later one token is back.
        let later = start + Duration::from_secs(30);
        assert!(limiter.take(&"a", later).is_ok());
        assert!(limiter.take(&"a", later).is_err());
        limiter.refund(&"a");
        assert!(limiter.take(&"a", later).is_ok());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::new(0, 1);
        let now = Instant::now();
        for key in 0..100 {
            assert!(limiter.take(&key, now).is_ok());
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn the_table_stays_bounded() {
        let limiter = RateLimiter::new(1, 3);
        let now = Instant::now();
        for key in 0..3 {
            assert!(limiter.take(&key, now).is_ok());
        }
        // Full of busy keys: a new one must wait.
        assert!(limiter.take(&99, now).is_err());
        assert_eq!(limiter.tracked(), 3);
        // A minute on, the old buckets are full again and forgotten.
        assert!(limiter.take(&99, now + Duration::from_secs(61)).is_ok());
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn each_client_waits_on_a_few_scans_and_holds_a_few_streams() {
        let caps = ClientCaps::<&str>::new(&Limits {
            client_scans_in_flight: 2,
            client_streams: 1,
            ..Limits::default()
        });
        let (one, two, three) = (Arc::new(1), Arc::new(2), Arc::new(3));
        let a = caps.join(&"a", &one).unwrap();
        // Waiting on the same scan again costs nothing more.
        let a_again = caps.join(&"a", &one).unwrap();
        let reserved = caps.reserve::<i32>(&"a").unwrap();
        assert_eq!(caps.held_by(&"a"), (2, 0));
        assert!(caps.join(&"a", &three).is_none(), "at its cap");
        assert!(caps.reserve::<i32>(&"a").is_none());
        // Another client has its own.
        let b = caps.join(&"b", &three).unwrap();
        // The reservation becomes the scan it started; joining one it waits on merges.
        let started = reserved.started(&one);
        assert_eq!(caps.held_by(&"a"), (1, 0));
        let c = caps.join(&"a", &two).unwrap();
        drop((a, a_again, started));
        assert_eq!(caps.held_by(&"a"), (1, 0));
        drop(c);
        let stream = caps.open_stream(&"a").unwrap();
        assert!(caps.open_stream(&"a").is_none());
        drop(stream);
        assert!(caps.open_stream(&"a").is_some());
        drop(b);
        assert_eq!(
            caps.clients(),
            0,
            "the table forgets clients that hold nothing"
        );
    }

    #[tokio::test]
    async fn admission_caps_scans_and_bounds_the_queue() {
        let admission = Admission::new(&Limits {
            max_scans: 1,
            queue: 1,
            queue_wait: Duration::from_millis(50),
            ..Limits::default()
        });
        let first = admission.enter().unwrap().admit().await.unwrap();
        assert_eq!(admission.in_flight(), 1);
        let queued = admission.enter().unwrap();
        assert_eq!(admission.queued(), 1);
        assert_eq!(admission.enter().unwrap_err(), NotAdmitted::QueueFull);
        // Nobody frees the slot: the queued scan gives up.
        assert_eq!(queued.admit().await.unwrap_err(), NotAdmitted::Waited);
        assert_eq!(admission.queued(), 0);
        // A queued scan gets the slot when it comes free.
        let queued = admission.enter().unwrap();
        drop(first);
        let second = queued.admit().await.unwrap();
        assert_eq!((admission.in_flight(), admission.queued()), (1, 0));
        drop(second);
        admission.drain();
        assert_eq!(admission.enter().unwrap_err(), NotAdmitted::Draining);
    }
}
