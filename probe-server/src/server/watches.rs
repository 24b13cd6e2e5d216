//! The served probe's watch runner: two tasks per replica, both stopped by a shutdown after
//! the work in hand is done.
//!
//! - **Scans**: every [`WatchConfig::poll`], the watches due are run, one at a time per
//!   replica. With `--redis` they go through the job stream ([`super::shared::jobs`]); without
//!   it, or while Redis does not answer, each replica claims due watches from the store. A
//!   run scans the site (a full scan, the served probe's own address and port rules), records
//!   it in the history, compares it with the previous scan and stores the alerts, then
//!   finishes the claim; nothing of it is only in memory.
//! - **Deliveries**: pending alerts are claimed from the store and posted to their webhook,
//!   retried with exponential backoff ([`WatchConfig::retry`] doubling, at most
//!   [`WatchConfig::attempts`] tries) until a 2xx answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use shared::ScanMode;
use tokio::sync::Notify;

use super::metrics::Metrics;
use super::shared::RedisShared;
use crate::scan::{ScanRequest, Scanner};
use crate::store::Store;
use crate::store::watches::{Claim, SlotClaim, now_ms};
use crate::target::Target;
use crate::watch::alerts;
use crate::watch::webhook::Poster;

/// How watches run, with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchConfig {
    /// Whether this replica runs watches at all.
    pub enabled: bool,
    /// How often the store (or the stream) is asked for due work.
    pub poll: Duration,
    /// How long a run holds its watch (and its stream entry) before another replica may take
    /// it over; `None`: the scan timeout and 30 s.
    pub lease: Option<Duration>,
    /// The longest one webhook delivery may take.
    pub webhook_timeout: Duration,
    /// The wait before the first retry of a failed delivery; each next one waits twice as
    /// long (capped at an hour).
    pub retry: Duration,
    /// Deliveries tried at most per alert.
    pub attempts: u32,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll: Duration::from_secs(5),
            lease: None,
            webhook_timeout: Duration::from_secs(10),
            retry: Duration::from_secs(30),
            attempts: 8,
        }
    }
}

/// The longest wait between two delivery attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Jobs one poll runs at most before the deliveries and the stop flag are looked at again.
const JOBS_PER_POLL: usize = 16;
/// Slots enqueued at most per poll.
const SLOTS_PER_POLL: u32 = 256;

/// The wait before attempt `attempts + 1`, after `attempts` failed ones.
pub fn backoff(retry: Duration, attempts: u32) -> Duration {
    retry
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
        .min(MAX_BACKOFF)
}

/// The two tasks, running.
#[derive(Debug)]
pub struct WatchRunner {
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

struct Context {
    scanner: Scanner,
    store: Store,
    shared: Option<Arc<RedisShared>>,
    config: WatchConfig,
    lease: Duration,
    consumer: String,
    poster: Poster,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
}

impl WatchRunner {
    /// Starts the tasks on the current runtime.
    pub fn start(
        scanner: Scanner,
        store: Store,
        shared: Option<Arc<RedisShared>>,
        config: WatchConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(Notify::new());
        let lease = config
            .lease
            .unwrap_or(scanner.timeouts.scan + Duration::from_secs(30));
        let poster = Poster {
            egress: scanner.egress.clone(),
            roots: scanner.trust.roots(),
            timeout: config.webhook_timeout,
        };
        let consumer = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "probe".into()),
            std::process::id(),
            now_ms()
        );
        let context = Arc::new(Context {
            scanner,
            store,
            shared,
            config,
            lease,
            consumer,
            poster,
            metrics,
            stop: stop.clone(),
            wake: wake.clone(),
        });
        let scans = tokio::spawn(context.clone().scan_loop());
        let deliveries = tokio::spawn(context.deliver_loop());
        Self {
            stop,
            wake,
            tasks: vec![scans, deliveries],
        }
    }

    /// Stops taking work (the run in hand goes on: see [`WatchRunner::stop`]).
    pub fn stop_taking(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Stops taking work and waits (at most `within`) for the run in hand to be recorded.
    pub async fn stop(self, within: Duration) {
        self.stop_taking();
        let all = futures_util::future::join_all(self.tasks);
        if tokio::time::timeout(within, all).await.is_err() {
            tracing::warn!(
                "shutdown timeout: a watch run is abandoned (another replica will take it over after its lease)"
            );
        }
    }
}

impl Context {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Waits a poll period, or less if stopped.
    async fn pause(&self) {
        let woken = self.wake.notified();
        if self.stopping() {
            return;
        }
        let _ = tokio::time::timeout(self.config.poll, woken).await;
    }

    async fn scan_loop(self: Arc<Self>) {
        while !self.stopping() {
            let through_redis = match &self.shared {
                Some(shared) => self.run_from_stream(shared).await,
                None => false,
            };
            if !through_redis {
                self.run_from_store().await;
            }
            self.pause().await;
        }
    }

    /// Enqueues what is due and runs jobs from the stream; `false` when Redis did not answer
    /// (the store is asked directly instead).
    async fn run_from_stream(&self, shared: &RedisShared) -> bool {
        let slots = match self.store.due_slots(now_ms(), SLOTS_PER_POLL).await {
            Ok(slots) => slots,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the due watches");
                return true;
            }
        };
        for (watch_id, due_ms) in slots {
            // The slot lock outlives a run's lease: a slot still pending is not enqueued twice.
            if shared
                .enqueue_watch(watch_id, due_ms, self.lease.saturating_mul(3))
                .await
                .is_none()
            {
                return false;
            }
        }
        for _ in 0..JOBS_PER_POLL {
            if self.stopping() {
                return true;
            }
            // An entry is taken over a second after the lease of the claim its runner took
            // right after reading it, so the store's claim has run out by then too.
            let idle = self.lease + Duration::from_secs(1);
            let job = match shared.next_watch_job(&self.consumer, idle).await {
                None => return false,
                Some(None) => return true,
                Some(Some(job)) => job,
            };
            let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
            match self
                .store
                .claim_slot(job.watch_id, job.due_ms, lease_ms)
                .await
            {
                Ok(SlotClaim::Claimed(claim)) => {
                    // A run that could not be recorded stays pending: taken over after the
                    // lease, as a dead replica's would be.
                    if self.run(*claim).await {
                        shared.finish_watch_job(&job.entry).await;
                    }
                }
                Ok(SlotClaim::Done) => shared.finish_watch_job(&job.entry).await,
                // Someone runs it now; the entry stays pending and is looked at again after
                // the lease (then done, or its runner dead).
                Ok(SlotClaim::Busy) => {}
                Err(e) => tracing::warn!(error = %e, watch = job.watch_id, "cannot claim a watch"),
            }
        }
        true
    }

    async fn run_from_store(&self) {
        let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        for _ in 0..JOBS_PER_POLL {
            if self.stopping() {
                return;
            }
            match self.store.claim_next_due(lease_ms).await {
                Ok(Some(claim)) => {
                    self.run(claim).await;
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim a due watch");
                    return;
                }
            }
        }
    }

    /// One run of a claimed watch; `false` when it could not be recorded (its claim then
    /// runs out and the run is tried again).
    async fn run(&self, claim: Claim) -> bool {
        let watch = &claim.watch;
        let target = match Target::from_parts(&watch.host, Some(watch.port)) {
            Ok(target) => target,
            Err(e) => {
                self.finish(&claim, None, Some(&e.to_string())).await;
                return true;
            }
        };
        let request = ScanRequest {
            target,
            sni: None,
            endpoint: None,
            mode: ScanMode::Full,
        };
        let started = std::time::Instant::now();
        let outcome = self.scanner.scan(&request).await;
        let webhook = watch.webhook_url.is_some();
        match outcome {
            Ok(report) => {
                let previous = match watch.last_scan_id {
                    Some(id) => self.store.report(id).await.ok().flatten().map(|r| (id, r)),
                    None => None,
                };
                let scan_id = match self.store.record(&report).await {
                    Ok(id) => id,
                    Err(e) => {
                        // Not finished: the claim runs out and the run is tried again.
                        tracing::warn!(error = %e, watch = watch.id, "cannot record a watch's scan");
                        return false;
                    }
                };
                let changes = alerts::changes(previous.as_ref().map(|(i, r)| (*i, r)), &report);
                let rows: Vec<_> = changes
                    .iter()
                    .map(|c| alerts::alert(watch, c, scan_id.map(|id| (id, &report))))
                    .collect();
                let new = match self.store.insert_alerts(watch.id, &rows, webhook).await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::warn!(error = %e, watch = watch.id, "cannot store alerts");
                        return false;
                    }
                };
                tracing::info!(
                    watch = watch.id,
                    host = %watch.host,
                    port = watch.port,
                    grade = %report.grade,
                    scan_id,
                    alerts = new,
                    duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "watch scanned"
                );
                self.metrics.watch_run(true);
                self.finish(&claim, scan_id, None).await;
            }
            Err(error) => {
                let text = error.to_string();
                if let Some(change) = alerts::unreachable(watch, &text) {
                    let row = alerts::alert(watch, &change, None);
                    if let Err(e) = self.store.insert_alerts(watch.id, &[row], webhook).await {
                        tracing::warn!(error = %e, watch = watch.id, "cannot store alerts");
                        return false;
                    }
                }
                tracing::info!(watch = watch.id, host = %watch.host, port = watch.port, error = %text, "watch scan failed");
                self.metrics.watch_run(false);
                self.finish(&claim, None, Some(&text)).await;
            }
        }
        // A new alert may be waiting: deliver without waiting a poll.
        self.wake.notify_waiters();
        true
    }

    async fn finish(&self, claim: &Claim, scan_id: Option<i64>, error: Option<&str>) {
        match self.store.finish_run(claim, scan_id, error).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                watch = claim.watch.id,
                "the watch's lease ran out before its run ended; another replica took it over"
            ),
            Err(e) => {
                tracing::warn!(error = %e, watch = claim.watch.id, "cannot finish a watch run")
            }
        }
    }

    async fn deliver_loop(self: Arc<Self>) {
        let lease_ms =
            i64::try_from((self.config.webhook_timeout + Duration::from_secs(5)).as_millis())
                .unwrap_or(i64::MAX);
        while !self.stopping() {
            for _ in 0..JOBS_PER_POLL {
                if self.stopping() {
                    break;
                }
                let delivery = match self.store.claim_delivery(lease_ms).await {
                    Ok(Some(d)) => d,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot claim an alert");
                        break;
                    }
                };
                let attempts = delivery.attempts + 1;
                let result = self
                    .poster
                    .post(
                        &delivery.webhook_url,
                        &delivery.payload,
                        &delivery.secret,
                        delivery.alert_id,
                    )
                    .await;
                let recorded = match &result {
                    Ok(()) => {
                        tracing::info!(
                            alert = delivery.alert_id,
                            watch = delivery.watch_id,
                            attempts,
                            "alert delivered"
                        );
                        self.metrics.delivery(true, false);
                        self.store
                            .alert_attempted(delivery.alert_id, attempts, None, None)
                            .await
                    }
                    Err(e) => {
                        let retry =
                            (e.is_retryable() && attempts < self.config.attempts).then(|| {
                                now_ms().saturating_add(
                                    i64::try_from(backoff(self.config.retry, attempts).as_millis())
                                        .unwrap_or(i64::MAX),
                                )
                            });
                        self.metrics.delivery(false, retry.is_some());
                        tracing::warn!(
                            alert = delivery.alert_id,
                            watch = delivery.watch_id,
                            attempts,
                            error = %e,
                            retry = retry.is_some(),
                            "alert not delivered"
                        );
                        self.store
                            .alert_attempted(
                                delivery.alert_id,
                                attempts,
                                retry,
                                Some(&e.to_string()),
                            )
                            .await
                    }
                };
                if let Err(e) = recorded {
                    tracing::warn!(error = %e, "cannot record a delivery");
                }
            }
            self.pause().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 30), MAX_BACKOFF);
    }
}
