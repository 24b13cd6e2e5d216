//! Between a request and a scan: the cheap refusals first (port and address policy), then the
//! cache, then joining a scan already running (within the client's cap on scans in flight),
//! then — for a new scan — the client's cap and rate limits, where the scan would connect
//! ([`egress`](super::egress): resolved once, checked against the policy, and the key of the
//! per-target rate limit), the target's rate limit, admission (the cap on scans in flight
//! and its queue), and only then the scan, which is given the address checked here.
//!
//! What the probe's own state decides (overloaded, a queue wait given up, shutting down) is
//! told to the requests waiting, never stored in the cache as the target's outcome.
//!
//! A scan runs as a task of its own on the main runtime, not in the request that started it:
//! a client that goes away does not cancel a scan others have joined, the outcome still
//! lands in the cache, and a shutdown can wait for every scan in flight.

use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use futures_util::{FutureExt as _, StreamExt as _};
use shared::{ErrorCode, Report, ScanMode};
use tokio::sync::{mpsc, watch};

use super::access::ClientKey;
use super::api_error::ApiFailure;
use super::cache::{
    CacheConfig, Cached, Flight, FlightState, FlightUpdate, Lookup, Outcome, ReportCache, ScanKey,
};
use super::egress;
use super::limits::{
    Admission, ClientCaps, Limits, NotAdmitted, RateLimiter, ScanPermit, Taken, Ticket,
};
use super::metrics::{Gauges, Metrics, Refusal};
use super::shared::RedisShared;
use crate::error::ProbeError;
use crate::scan::{ScanRequest, ScanUpdate, Scanner};
use crate::target::Target;
use crate::target::egress::{EgressError, Endpoint};

/// A client's share of the per-client cap on scans in flight, held while it waits.
pub type ClientScan = ScanPermit<ClientKey, Flight>;

/// One request for a scan.
#[derive(Debug, Clone)]
pub struct Ask {
    pub request: ScanRequest,
    /// Bypass the cache (`refresh=1`).
    pub refresh: bool,
}

/// Where the answer will come from.
#[derive(Debug)]
pub enum Answer {
    /// The cache has it.
    Cached(Cached),
    /// A scan is under way (this request `started` it, or joined it). For a quick request
    /// following a full scan, `quick_enough`: its quick report is the answer.
    Flight {
        flight: Arc<Flight>,
        started: bool,
        quick_enough: bool,
        /// Counts the scan against the client's cap until dropped.
        permit: ClientScan,
    },
}

/// See the module docs.
#[derive(Debug)]
pub struct ScanBroker {
    scanner: Arc<Scanner>,
    cache: ReportCache,
    admission: Arc<Admission>,
    clients: RateLimiter<ClientKey>,
    /// Keyed by [`Egress::rate_key`]: the address and port connected to.
    targets: RateLimiter<String>,
    caps: Arc<ClientCaps<ClientKey>>,
    refreshes: RateLimiter<ClientKey>,
    metrics: Arc<Metrics>,
    runtime: tokio::runtime::Handle,
    /// Where full scans are recorded.
    store: Option<crate::store::Store>,
    /// How long a replica's cluster-wide scan lock holds (`--redis`): the longest a scan may
    /// wait in the queue and run, and some margin. A holder that dies blocks its target no
    /// longer than this.
    lease: Duration,
}

/// How often a replica following another's scan (`--redis`) looks for its outcome.
const FOLLOW_POLL: Duration = Duration::from_millis(50);

/// Who scans a target, with `--redis`.
enum Lead {
    /// This replica, holding the lock with this fencing token (`None`: without Redis).
    Leader(Option<i64>),
    /// Another replica did; its outcome.
    Followed(Outcome),
}

/// The longest a scan's answer waits for its history row to be written: a slow or
/// unreachable database costs at most this, never the answer.
pub const HISTORY_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

impl ScanBroker {
    /// Shares the report cache and the rate limits with the other replicas through Redis.
    #[must_use]
    pub fn with_shared(mut self, shared: Option<Arc<RedisShared>>) -> Self {
        self.cache = self.cache.with_shared(shared.clone());
        self.clients = self.clients.with_shared(shared.clone(), "client");
        self.targets = self.targets.with_shared(shared.clone(), "target");
        self.refreshes = self.refreshes.with_shared(shared, "refresh");
        self
    }

    /// Records every full scan in `store`.
    #[must_use]
    pub fn with_store(mut self, store: Option<crate::store::Store>) -> Self {
        self.store = store;
        self
    }

    pub fn new(
        scanner: Scanner,
        limits: &Limits,
        cache: CacheConfig,
        metrics: Arc<Metrics>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        Self {
            lease: scanner.timeouts.scan + limits.queue_wait + Duration::from_secs(5),
            scanner: Arc::new(scanner),
            cache: ReportCache::new(cache),
            admission: Admission::new(limits),
            clients: RateLimiter::new(limits.client_scans_per_minute, limits.tracked_keys),
            targets: RateLimiter::new(limits.target_scans_per_minute, limits.tracked_keys),
            refreshes: RateLimiter::new(limits.refreshes_per_minute, limits.tracked_keys),
            caps: ClientCaps::new(limits),
            metrics,
            runtime,
            store: None,
        }
    }

    /// Finds or starts the scan that answers `ask`.
    pub async fn ask(self: &Arc<Self>, ask: &Ask, client: ClientKey) -> Result<Answer, ApiFailure> {
        let request = &ask.request;
        self.precheck(&request.target)?;
        let now = Instant::now();
        let key = ScanKey::of(request);
        let quick = !key.full;

        // The cache (a quick request is also answered by a full report), then a running scan.
        let mut keys = vec![key.clone()];
        if quick {
            keys.push(key.with_full(true));
        }
        if !ask.refresh {
            for k in &keys {
                if let Lookup::Hit(cached) = self.cache.lookup(k, false, now) {
                    self.metrics.cache_hit();
                    return Ok(Answer::Cached(cached));
                }
            }
            // Then what the other replicas scanned, unless one runs here already.
            if keys
                .iter()
                .all(|k| !matches!(self.cache.lookup(k, true, now), Lookup::Running(_)))
            {
                for k in &keys {
                    if let Some(cached) = self.cache.lookup_shared(k).await {
                        self.metrics.cache_hit();
                        return Ok(Answer::Cached(cached));
                    }
                }
            }
        }
        for k in &keys {
            if let Lookup::Running(flight) = self.cache.lookup(k, true, now) {
                let permit = self
                    .caps
                    .join(&client, &flight)
                    .ok_or_else(|| self.at_cap())?;
                self.metrics.joined();
                return Ok(Answer::Flight {
                    flight,
                    started: false,
                    quick_enough: quick && k.full,
                    permit,
                });
            }
        }

        // A new scan: the client's cap and rate limits, then a place in the queue. Where the
        // scan connects and the target's rate limit are decided in the scan's task (`run`),
        // once the flight is registered, so that requests for the same target that come
        // meanwhile join it rather than each looking the name up.
        let permit = self.caps.reserve(&client).ok_or_else(|| self.at_cap())?;
        let mut refunds = self.take_client_tokens(ask.refresh, client, now).await?;
        let ticket = match self.admission.enter() {
            Ok(ticket) => ticket,
            Err(why) => {
                refunds.refund(self);
                return Err(self.not_admitted(why));
            }
        };
        match self.cache.start(&key) {
            Ok(flight) => {
                self.metrics.cache_miss();
                self.launch(key, flight.clone(), ticket, request.clone(), refunds);
                Ok(Answer::Flight {
                    permit: permit.started(&flight),
                    flight,
                    started: true,
                    quick_enough: false,
                })
            }
            Err(running) => {
                // Another request started the same scan a moment ago.
                refunds.refund(self);
                self.metrics.joined();
                Ok(Answer::Flight {
                    permit: permit.started(&running),
                    flight: running,
                    started: false,
                    quick_enough: false,
                })
            }
        }
    }

    /// A stream's place in the client's cap on open streams, or 429.
    pub fn open_stream(
        &self,
        client: ClientKey,
    ) -> Result<super::limits::StreamPermit<ClientKey>, ApiFailure> {
        self.caps.open_stream(&client).ok_or_else(|| {
            self.metrics.refused(Refusal::ClientBusy);
            ApiFailure::new(
                ErrorCode::RateLimited,
                "too many open event streams from this client; close one first",
            )
            .retry_after(Duration::from_secs(5))
        })
    }

    fn at_cap(&self) -> ApiFailure {
        self.metrics.refused(Refusal::ClientBusy);
        let wait = self
            .metrics
            .mean_scan_duration()
            .unwrap_or(Duration::from_secs(5));
        ApiFailure::new(
            ErrorCode::RateLimited,
            "too many scans in flight from this client; wait for one to finish",
        )
        .retry_after(wait.clamp(Duration::from_secs(1), Duration::from_secs(60)))
    }

    /// The per-target rate limit for a scan that connects where `egress` says, or 429.
    async fn take_target_token(
        &self,
        egress: &Endpoint,
        target: &Target,
    ) -> Result<(String, Taken), ApiFailure> {
        let key = egress::rate_key(egress);
        match self.targets.take_shared(&key, Instant::now()).await {
            Ok(taken) => Ok((key, taken)),
            Err(wait) => {
                self.metrics.refused(Refusal::TargetRateLimited);
                Err(ApiFailure::new(
                    ErrorCode::RateLimited,
                    format!(
                        "{target} was scanned too often lately (by any name for its address); \
                         this probe does not hammer a host"
                    ),
                )
                .retry_after(wait))
            }
        }
    }

    /// Refusals that need no scan and no lookup: the port rule, and the address rule for IP
    /// literals and `--connect-to` mappings (the scan's own egress decision).
    fn precheck(&self, target: &Target) -> Result<(), ApiFailure> {
        let decision = self
            .scanner
            .egress
            .target_without_lookup(target.host(), target.port());
        if let Some(Err(refusal)) = decision {
            self.metrics.refused(match refusal {
                EgressError::Port { .. } => Refusal::PortForbidden,
                _ => Refusal::TargetForbidden,
            });
            return Err(ProbeError::from(refusal).into());
        }
        Ok(())
    }

    /// A token from the client's limits (and its refresh limit), or 429 (giving back those
    /// already taken).
    async fn take_client_tokens(
        &self,
        refresh: bool,
        client: ClientKey,
        now: Instant,
    ) -> Result<Refunds, ApiFailure> {
        let mut taken = Refunds::default();
        if refresh {
            let taken_refresh = self.refreshes.take_shared(&client, now).await;
            if let Err(wait) = taken_refresh {
                self.metrics.refused(Refusal::RefreshRateLimited);
                return Err(ApiFailure::new(
                    ErrorCode::RateLimited,
                    "too many refreshes from this client; the cached report is still served \
                     without refresh=1",
                )
                .retry_after(wait));
            }
            taken.refresh = taken_refresh.ok().map(|t| (client, t));
        }
        let taken_client = self.clients.take_shared(&client, now).await;
        if let Err(wait) = taken_client {
            taken.refund(self);
            self.metrics.refused(Refusal::ClientRateLimited);
            return Err(
                ApiFailure::new(ErrorCode::RateLimited, "too many scans from this client")
                    .retry_after(wait),
            );
        }
        taken.client = taken_client.ok().map(|t| (client, t));
        Ok(taken)
    }

    fn not_admitted(&self, why: NotAdmitted) -> ApiFailure {
        let wait = self
            .admission
            .retry_after(self.metrics.mean_scan_duration());
        match why {
            NotAdmitted::Draining => {
                self.metrics.refused(Refusal::Draining);
                ApiFailure::new(
                    ErrorCode::Overloaded,
                    "the probe is shutting down; ask again in a moment",
                )
                .retry_after(Duration::from_secs(5))
            }
            NotAdmitted::QueueFull => {
                self.metrics.refused(Refusal::Overloaded);
                ApiFailure::new(
                    ErrorCode::Overloaded,
                    format!(
                        "the probe is at capacity ({} scans running, {} waiting)",
                        self.admission.in_flight(),
                        self.admission.queued()
                    ),
                )
                .retry_after(wait)
            }
            NotAdmitted::Waited => {
                self.metrics.refused(Refusal::Overloaded);
                ApiFailure::new(
                    ErrorCode::Overloaded,
                    "the probe is at capacity: the scan waited too long for a free slot",
                )
                .retry_after(wait)
            }
        }
    }

    /// Runs the scan for `flight` as a task of its own.
    fn launch(
        self: &Arc<Self>,
        key: ScanKey,
        flight: Arc<Flight>,
        ticket: Ticket,
        request: ScanRequest,
        mut refunds: Refunds,
    ) {
        let guard = FlightGuard {
            broker: self.clone(),
            key,
            flight,
            finished: false,
        };
        self.runtime.spawn(async move {
            let mut guard = guard;
            let broker = guard.broker.clone();
            let (outcome, about_the_target) =
                match broker.lead_or_follow(&guard.key, &guard.flight).await {
                    Lead::Followed(outcome) => {
                        // Another replica's scan answered: this request costs the client
                        // what joining a scan under way costs on one replica (nothing), not
                        // a scan. (A follower never takes the target's token: only `run`.)
                        refunds.refund(&broker);
                        broker.metrics.joined();
                        (outcome, true)
                    }
                    Lead::Leader(token) => {
                        // The lock taken, the other replicas follow this scan: tell them its
                        // updates. The publisher ends with the flight.
                        if token.is_some()
                            && let Some(shared) = broker.cache.shared()
                        {
                            broker.runtime.spawn(publish_updates(
                                shared.clone(),
                                guard.key.clone(),
                                guard.flight.follow(),
                            ));
                        }
                        let (outcome, about_the_target) =
                            broker.run(&guard.flight, ticket, &request).await;
                        if about_the_target {
                            // In Redis before anyone is told, so that the next request anywhere
                            // hits, and before the lock goes, so that no follower misses it.
                            broker.cache.store_shared(&guard.key, &outcome).await;
                        }
                        if let (Some(token), Some(shared)) = (token, broker.cache.shared()) {
                            shared.unlock(&guard.key, token).await;
                        }
                        (outcome, about_the_target)
                    }
                };
            guard.finish(outcome, about_the_target);
        });
    }

    /// With `--redis`: one scan of `key` cluster-wide. Takes the target's lock, or — another
    /// replica holding it — waits for that replica's outcome in the shared cache, or for its
    /// lock to go (finished without a stored outcome, or its holder died and the lease ran
    /// out), and then tries to take it. Redis not answering: this replica scans.
    /// While it follows, the leader's updates are relayed to `flight` (see
    /// [`relay_updates`]).
    async fn lead_or_follow(&self, key: &ScanKey, flight: &Arc<Flight>) -> Lead {
        let Some(shared) = self.cache.shared() else {
            return Lead::Leader(None);
        };
        // Subscribed once the lock is found taken (a leader opens no subscription); ends
        // (aborted) when this function returns, whatever it returns. Updates published
        // between the failed try and the subscription are not seen: only progress is lost.
        let mut relay: Option<AbortOnDrop> = None;
        // Bounded: a lease, some margin, and the polls are spaced.
        let deadline = Instant::now() + self.lease + Duration::from_secs(5);
        // What Redis holds now (a refresh's old report, say) is not the outcome waited for:
        // only another stored after it is.
        let before = match shared.get_stamped(key).await {
            None => return Lead::Leader(None),
            Some(found) => found.map(|(stamp, _)| stamp),
        };
        let stored_since_start = |found: Option<(u64, Cached)>| {
            found
                .filter(|(stamp, _)| Some(*stamp) != before)
                .map(|(_, cached)| cached)
        };
        while Instant::now() < deadline {
            match shared.lock(key, self.lease).await {
                None => return Lead::Leader(None),
                Some(Some(token)) => return Lead::Leader(Some(token)),
                Some(None) => {
                    relay.get_or_insert_with(|| {
                        AbortOnDrop(self.runtime.spawn(relay_updates(
                            shared.clone(),
                            key.clone(),
                            flight.clone(),
                        )))
                    });
                }
            }
            while Instant::now() < deadline {
                tokio::time::sleep(FOLLOW_POLL).await;
                match shared.get_stamped(key).await {
                    None => return Lead::Leader(None),
                    Some(found) => {
                        if let Some(cached) = stored_since_start(found) {
                            return Lead::Followed(cached.outcome);
                        }
                    }
                }
                match shared.is_locked(key).await {
                    None => return Lead::Leader(None),
                    Some(true) => {}
                    Some(false) => {
                        // Stored and released between the two reads?
                        if let Some(Some(found)) = shared.get_stamped(key).await
                            && let Some(cached) = stored_since_start(Some(found))
                        {
                            return Lead::Followed(cached.outcome);
                        }
                        break;
                    }
                }
            }
        }
        Lead::Leader(None)
    }

    /// The scan's outcome, and whether it says something about the target (and may be
    /// cached): a scan refused by the target's rate limit or never admitted does not.
    async fn run(&self, flight: &Flight, ticket: Ticket, request: &ScanRequest) -> (Outcome, bool) {
        // The scan's time (for the metrics and Retry-After) leaves out the wait for a slot.
        let mut started = Instant::now();
        // Where the scan connects: resolved once, checked, the key of the per-target limit.
        let outcome = match egress::resolve_egress(&self.scanner, &request.target).await {
            Err(error) => Err(ApiFailure::from(error)),
            Ok(egress) => {
                let target_key = match self.take_target_token(&egress, &request.target).await {
                    Ok(key) => key,
                    Err(failure) => return (Err(failure), false),
                };
                let _slot = match ticket.admit().await {
                    Ok(slot) => slot,
                    Err(why) => {
                        self.targets.refund_taken(&target_key.0, target_key.1);
                        return (Err(self.not_admitted(why)), false);
                    }
                };
                started = Instant::now();
                let scanner = egress::pinned(&self.scanner, &request.target, &egress);
                self.scan(flight, request, &scanner).await
            }
        };
        let took = started.elapsed();
        let code = outcome.as_ref().err().map(ApiFailure::code);
        self.metrics.scan_finished(code, took);
        if code == Some(ErrorCode::TargetForbidden) {
            self.metrics.refused(Refusal::TargetForbidden);
        }
        match &outcome {
            Ok(_) => tracing::info!(
                target = %request.target,
                mode = ?request.mode,
                ms = took.as_millis() as u64,
                "scan done"
            ),
            Err(failure) => tracing::info!(
                target = %request.target,
                mode = ?request.mode,
                ms = took.as_millis() as u64,
                error = ?failure.code(),
                message = %failure.error.message,
                "scan failed"
            ),
        }
        (outcome, true)
    }

    /// Runs `scanner`'s scan of `request`, passing its updates on to `flight`'s followers.
    async fn scan(&self, flight: &Flight, request: &ScanRequest, scanner: &Scanner) -> Outcome {
        let (sender, mut updates) = mpsc::unbounded_channel();
        let scan = AssertUnwindSafe(scanner.scan_with_updates(request, Some(sender)));
        let mut scan = pin!(scan.catch_unwind());
        let result = loop {
            tokio::select! {
                biased;
                Some(update) = updates.recv() => flight.push(flight_update(update)),
                result = &mut scan => break result,
            }
        };
        while let Ok(update) = updates.try_recv() {
            flight.push(flight_update(update));
        }
        match result {
            Ok(Ok(report)) => {
                self.record(&report).await;
                report_json(&report)
            }
            Ok(Err(error)) => Err(ApiFailure::from(error)),
            Err(_panic) => {
                tracing::error!(target = %request.target, "the scan panicked");
                Err(ApiFailure::new(
                    ErrorCode::Internal,
                    "the scan failed unexpectedly (a bug in the probe)",
                ))
            }
        }
    }

    /// Writes a full report's history row (before the answer, so a client that got the
    /// report finds it in the history), within [`HISTORY_WRITE_TIMEOUT`].
    async fn record(&self, report: &shared::Report) {
        let Some(store) = &self.store else { return };
        match tokio::time::timeout(HISTORY_WRITE_TIMEOUT, store.record(report)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(
                target = %report.target.host,
                error = %e,
                "the scan was not stored in the history"
            ),
            Err(_) => tracing::warn!(
                target = %report.target.host,
                "the scan was not stored in the history: the database did not answer in {HISTORY_WRITE_TIMEOUT:?}"
            ),
        }
    }

    /// No new scans from now on (shutdown); those under way go on.
    pub fn drain(&self) {
        self.admission.drain();
    }

    pub fn is_draining(&self) -> bool {
        self.admission.is_draining()
    }

    /// Waits until no scan is running or queued, at most `limit`. True if none is.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.cache.running() == 0 {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn gauges(&self) -> Gauges {
        let (cache_entries, cache_bytes) = self.cache.size();
        Gauges {
            in_flight: self.admission.in_flight(),
            queued: self.admission.queued(),
            slots: self.admission.max_scans(),
            queue_capacity: self.admission.queue_capacity(),
            cache_entries,
            cache_bytes,
            draining: self.admission.is_draining(),
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// Tokens taken for a scan that may yet not start.
#[derive(Debug, Default)]
struct Refunds {
    refresh: Option<(ClientKey, Taken)>,
    client: Option<(ClientKey, Taken)>,
    target: Option<(String, Taken)>,
}

impl Refunds {
    fn refund(&mut self, broker: &ScanBroker) {
        if let Some((client, taken)) = self.refresh.take() {
            broker.refreshes.refund_taken(&client, taken);
        }
        if let Some((client, taken)) = self.client.take() {
            broker.clients.refund_taken(&client, taken);
        }
        if let Some((target, taken)) = self.target.take() {
            broker.targets.refund_taken(&target, taken);
        }
    }
}

/// Makes sure a flight ends and leaves the cache's running set, even if its task is dropped
/// (runtime shut down) before the scan finished.
struct FlightGuard {
    broker: Arc<ScanBroker>,
    key: ScanKey,
    flight: Arc<Flight>,
    finished: bool,
}

impl FlightGuard {
    fn finish(&mut self, outcome: Outcome, about_the_target: bool) {
        self.finished = true;
        if about_the_target {
            self.broker
                .cache
                .finish(&self.key, &self.flight, outcome, Instant::now());
        } else {
            self.broker
                .cache
                .finish_unstored(&self.key, &self.flight, outcome);
        }
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(
                Err(ApiFailure::new(
                    ErrorCode::Internal,
                    "the scan was stopped before it finished",
                )),
                false,
            );
        }
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Publishes each update of a flight this replica leads, in order, until it ends.
async fn publish_updates(
    shared: Arc<RedisShared>,
    key: ScanKey,
    mut state: watch::Receiver<FlightState>,
) {
    let mut sent = 0;
    loop {
        let (fresh, finished) = {
            let now = state.borrow_and_update();
            (
                now.updates.get(sent..).unwrap_or_default().to_vec(),
                now.outcome.is_some(),
            )
        };
        sent += fresh.len();
        for update in fresh {
            shared.publish_progress(&key, encode_update(&update)).await;
        }
        if finished || state.changed().await.is_err() {
            return;
        }
    }
}

/// Pushes the updates another replica publishes for `key` into `flight` (for this replica's
/// streams), until aborted or the subscription ends.
async fn relay_updates(shared: Arc<RedisShared>, key: ScanKey, flight: Arc<Flight>) {
    let Some(mut messages) = shared.follow_progress(&key).await else {
        return;
    };
    while let Some(message) = messages.next().await {
        if let Some(update) = decode_update(message.get_payload_bytes()) {
            flight.push(update);
        }
    }
}

/// `Q` and the quick report's JSON, or `P` and the progress note's.
fn encode_update(update: &FlightUpdate) -> Vec<u8> {
    match update {
        FlightUpdate::Quick(json) => [b"Q".as_slice(), json].concat(),
        FlightUpdate::Progress(progress) => {
            let mut out = b"P".to_vec();
            out.extend(serde_json::to_vec(progress).unwrap_or_default());
            out
        }
    }
}

/// The inverse of [`encode_update`]; `None` for anything else (ignored).
fn decode_update(payload: &[u8]) -> Option<FlightUpdate> {
    let (kind, body) = payload.split_first()?;
    match kind {
        b'Q' => {
            // Only a report is passed on as one.
            serde_json::from_slice::<Report>(body).ok()?;
            Some(FlightUpdate::Quick(Bytes::copy_from_slice(body)))
        }
        b'P' => serde_json::from_slice(body)
            .ok()
            .map(FlightUpdate::Progress),
        _ => None,
    }
}

fn flight_update(update: ScanUpdate) -> FlightUpdate {
    match update {
        ScanUpdate::Quick(report) => match report_json(&report) {
            Ok(json) => FlightUpdate::Quick(json),
            // Cannot happen for a Report (plain data); a progress note keeps the stream going.
            Err(_) => FlightUpdate::Progress(shared::ScanProgress {
                step: "quick".into(),
                done: 0,
                total: 0,
            }),
        },
        ScanUpdate::Progress(progress) => FlightUpdate::Progress(progress),
    }
}

fn report_json(report: &Report) -> Outcome {
    serde_json::to_vec(report).map(Bytes::from).map_err(|e| {
        ApiFailure::new(
            ErrorCode::Internal,
            format!("the report could not be written as JSON: {e}"),
        )
    })
}

/// The scan mode a request asks for.
pub fn mode(quick: bool) -> ScanMode {
    if quick {
        ScanMode::Quick
    } else {
        ScanMode::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ScanProgress;

    #[test]
    fn published_updates_survive_the_round_trip_and_junk_is_ignored() {
        let progress = ScanProgress {
            step: "suites".into(),
            done: 3,
            total: 9,
        };
        let Some(FlightUpdate::Progress(back)) =
            decode_update(&encode_update(&FlightUpdate::Progress(progress.clone())))
        else {
            panic!("a progress note comes back as one");
        };
        assert_eq!((back.step, back.done, back.total), ("suites".into(), 3, 9));
        let report = include_bytes!("../../../shared/fixtures/scan-asked.json");
        let quick = FlightUpdate::Quick(Bytes::from_static(report));
        let Some(FlightUpdate::Quick(json)) = decode_update(&encode_update(&quick)) else {
            panic!("a quick report comes back as one");
        };
        assert_eq!(&json[..], &report[..]);
        assert!(decode_update(b"Qnot a report").is_none());
        assert!(decode_update(b"P{").is_none());
        assert!(decode_update(b"").is_none());
        assert!(decode_update(b"X{}").is_none());
    }
}
