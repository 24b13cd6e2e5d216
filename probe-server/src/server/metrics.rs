//! `GET /metrics`: counters in the Prometheus text format (version 0.0.4), written by hand
//! from atomics — a handful of series does not need a metrics library.
//!
//! | Series | Type | What |
//! | --- | --- | --- |
//! | `probe_scans_total{outcome}` | counter | scans finished, by outcome (`ok` or an error code) |
//! | `probe_scan_duration_seconds` | histogram | how long finished scans took |
//! | `probe_cache_hits_total` | counter | answers served from the cache |
//! | `probe_cache_misses_total` | counter | requests that started a scan |
//! | `probe_singleflight_joins_total` | counter | requests that joined a scan already running |
//! | `probe_redis_fallbacks_total` | counter | Redis calls (`--redis`) answered by the local structures instead: Redis failed, was slow, or was being skipped after a failure |
//! | `probe_refusals_total{reason}` | counter | requests refused before any scan, by reason |
//! | `probe_http_responses_total{class}` | counter | HTTP responses, by status class |
//! | `probe_scans_in_flight` | gauge | scans running now |
//! | `probe_queue_depth` | gauge | scans waiting for a slot |
//! | `probe_scan_slots`, `probe_queue_capacity` | gauge | the limits (`--max-scans`, `--queue`) |
//! | `probe_cache_entries`, `probe_cache_bytes` | gauge | what the cache holds |
//! | `probe_draining` | gauge | 1 once a shutdown began |
//! | `probe_watch_runs_total{outcome}` | counter | watch runs finished by this replica (`report` or `failed`) |
//! | `probe_alert_deliveries_total{outcome}` | counter | webhook deliveries tried (`delivered`, `retry`, `failed`) |

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use shared::ErrorCode;

/// Why a request was refused before (or instead of) a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No or a wrong API token.
    Unauthorized,
    /// A web page's origin, or a request a web page made the browser send.
    Origin,
    /// A Host header this probe does not serve (DNS rebinding against the probe itself).
    Host,
    /// An invalid target (bad spelling, unknown parameter).
    BadRequest,
    /// The address policy refused the target's address.
    TargetForbidden,
    /// The port is not one the operator allows.
    PortForbidden,
    /// The client asked for too many scans.
    ClientRateLimited,
    /// The target was scanned too often.
    TargetRateLimited,
    /// The client asked for too many refreshes.
    RefreshRateLimited,
    /// The client had too many scans in flight, or too many streams open.
    ClientBusy,
    /// The queue was full, or a scan waited too long in it.
    Overloaded,
    /// The probe is shutting down.
    Draining,
}

impl Refusal {
    const ALL: [Self; 12] = [
        Self::Unauthorized,
        Self::Origin,
        Self::Host,
        Self::BadRequest,
        Self::TargetForbidden,
        Self::PortForbidden,
        Self::ClientRateLimited,
        Self::TargetRateLimited,
        Self::RefreshRateLimited,
        Self::ClientBusy,
        Self::Overloaded,
        Self::Draining,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Origin => "origin",
            Self::Host => "host",
            Self::BadRequest => "bad_request",
            Self::TargetForbidden => "target_forbidden",
            Self::PortForbidden => "port_forbidden",
            Self::ClientRateLimited => "client_rate_limited",
            Self::TargetRateLimited => "target_rate_limited",
            Self::RefreshRateLimited => "refresh_rate_limited",
            Self::ClientBusy => "client_busy",
            Self::Overloaded => "overloaded",
            Self::Draining => "draining",
        }
    }
}

/// Outcome labels of finished scans.
const OUTCOMES: [&str; 9] = [
    "ok",
    "target_forbidden",
    "resolve_failed",
    "connect_failed",
    "timeout",
    "bad_target",
    "overloaded",
    "internal",
    "other",
];

fn outcome_index(outcome: Option<ErrorCode>) -> usize {
    match outcome {
        None => 0,
        Some(ErrorCode::TargetForbidden) => 1,
        Some(ErrorCode::ResolveFailed) => 2,
        Some(ErrorCode::ConnectFailed) => 3,
        Some(ErrorCode::Timeout) => 4,
        Some(ErrorCode::BadTarget) => 5,
        Some(ErrorCode::Overloaded) => 6,
        Some(ErrorCode::Internal) => 7,
        Some(_) => 8,
    }
}

/// Upper bounds of the duration histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// The counters. Shared by every worker; updates are relaxed atomics.
#[derive(Debug, Default)]
pub struct Metrics {
    scans: [AtomicU64; OUTCOMES.len()],
    /// Cumulative bucket counts are computed when rendering; these are per bucket, the last
    /// one for everything above the largest bound.
    duration_buckets: [AtomicU64; BUCKETS.len() + 1],
    duration_micros: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    joins: AtomicU64,
    redis_fallbacks: AtomicU64,
    refusals: [AtomicU64; Refusal::ALL.len()],
    /// 1xx to 5xx.
    responses: [AtomicU64; 5],
    /// Watch runs: with a report, without one.
    watch_runs: [AtomicU64; 2],
    /// Deliveries: delivered, to be retried, failed for good.
    deliveries: [AtomicU64; 3],
}

/// Values read elsewhere when rendering.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub in_flight: usize,
    pub queued: usize,
    pub slots: usize,
    pub queue_capacity: usize,
    pub cache_entries: usize,
    pub cache_bytes: usize,
    pub draining: bool,
}

impl Metrics {
    /// A scan finished: `error` is its failure's code, `None` for a report.
    pub fn scan_finished(&self, error: Option<ErrorCode>, took: Duration) {
        self.scans[outcome_index(error)].fetch_add(1, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BUCKETS.len());
        self.duration_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.duration_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn joined(&self) {
        self.joins.fetch_add(1, Ordering::Relaxed);
    }

    /// A Redis call (`--redis`) failed or was skipped: the local structures answered.
    /// A watch run finished (with a report or not).
    pub fn watch_run(&self, reported: bool) {
        self.watch_runs[usize::from(!reported)].fetch_add(1, Ordering::Relaxed);
    }

    /// A webhook delivery was tried: delivered, or failed with (`retry`) or without a retry.
    pub fn delivery(&self, delivered: bool, retry: bool) {
        let index = match (delivered, retry) {
            (true, _) => 0,
            (false, true) => 1,
            (false, false) => 2,
        };
        self.deliveries[index].fetch_add(1, Ordering::Relaxed);
    }

    pub fn redis_fallback(&self) {
        self.redis_fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused(&self, why: Refusal) {
        let index = Refusal::ALL.iter().position(|r| *r == why).unwrap_or(0);
        self.refusals[index].fetch_add(1, Ordering::Relaxed);
    }

    pub fn responded(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    /// The mean duration of finished scans (a guess for `Retry-After`), if any finished.
    pub fn mean_scan_duration(&self) -> Option<Duration> {
        let count: u64 = self
            .duration_buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .sum();
        (count > 0)
            .then(|| Duration::from_micros(self.duration_micros.load(Ordering::Relaxed) / count))
    }

    /// The Prometheus text exposition.
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);

        header(
            &mut out,
            "probe_scans_total",
            "counter",
            "Scans finished, by outcome.",
        );
        for (label, value) in OUTCOMES.iter().zip(&self.scans) {
            let _ = writeln!(
                out,
                "probe_scans_total{{outcome=\"{label}\"}} {}",
                load(value)
            );
        }

        header(
            &mut out,
            "probe_scan_duration_seconds",
            "histogram",
            "How long finished scans took.",
        );
        let mut cumulative = 0;
        for (bound, value) in BUCKETS.iter().zip(&self.duration_buckets) {
            cumulative += load(value);
            let _ = writeln!(
                out,
                "probe_scan_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.duration_buckets.last().map_or(0, load);
        let _ = writeln!(
            out,
            "probe_scan_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "probe_scan_duration_seconds_sum {}",
            load(&self.duration_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "probe_scan_duration_seconds_count {cumulative}");

        for (name, help, value) in [
            (
                "probe_cache_hits_total",
                "Answers served from the report cache.",
                &self.cache_hits,
            ),
            (
                "probe_cache_misses_total",
                "Requests that started a scan.",
                &self.cache_misses,
            ),
            (
                "probe_singleflight_joins_total",
                "Requests that joined a scan of the same target already running.",
                &self.joins,
            ),
            (
                "probe_redis_fallbacks_total",
                "Redis calls (--redis) answered by the local cache and rate limits instead.",
                &self.redis_fallbacks,
            ),
        ] {
            header(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", load(value));
        }

        header(
            &mut out,
            "probe_refusals_total",
            "counter",
            "Requests refused before any scan, by reason.",
        );
        for (refusal, value) in Refusal::ALL.iter().zip(&self.refusals) {
            let _ = writeln!(
                out,
                "probe_refusals_total{{reason=\"{}\"}} {}",
                refusal.label(),
                load(value)
            );
        }

        header(
            &mut out,
            "probe_http_responses_total",
            "counter",
            "HTTP responses, by status class.",
        );
        for (class, value) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "probe_http_responses_total{{class=\"{}xx\"}} {}",
                class + 1,
                load(value)
            );
        }

        header(
            &mut out,
            "probe_watch_runs_total",
            "counter",
            "Watch runs finished by this replica, with a report or failed.",
        );
        for (outcome, value) in ["report", "failed"].iter().zip(&self.watch_runs) {
            let _ = writeln!(
                out,
                "probe_watch_runs_total{{outcome=\"{outcome}\"}} {}",
                load(value)
            );
        }
        header(
            &mut out,
            "probe_alert_deliveries_total",
            "counter",
            "Webhook deliveries tried: delivered, to be retried, failed for good.",
        );
        for (outcome, value) in ["delivered", "retry", "failed"]
            .iter()
            .zip(&self.deliveries)
        {
            let _ = writeln!(
                out,
                "probe_alert_deliveries_total{{outcome=\"{outcome}\"}} {}",
                load(value)
            );
        }

        for (name, help, value) in [
            (
                "probe_scans_in_flight",
                "Scans running now.",
                gauges.in_flight,
            ),
            (
                "probe_queue_depth",
                "Scans waiting for a free slot.",
                gauges.queued,
            ),
            (
                "probe_scan_slots",
                "Scans that may run at once (--max-scans).",
                gauges.slots,
            ),
            (
                "probe_queue_capacity",
                "Scans that may wait for a slot (--queue).",
                gauges.queue_capacity,
            ),
            (
                "probe_cache_entries",
                "Reports and failures in the cache.",
                gauges.cache_entries,
            ),
            (
                "probe_cache_bytes",
                "Approximate size of the cache.",
                gauges.cache_bytes,
            ),
            (
                "probe_draining",
                "1 once a shutdown began: no new scans are taken.",
                usize::from(gauges.draining),
            ),
        ] {
            header(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_gauges() {
        let metrics = Metrics::default();
        metrics.scan_finished(None, Duration::from_millis(70));
        metrics.scan_finished(Some(ErrorCode::Timeout), Duration::from_secs(90));
        metrics.cache_hit();
        metrics.refused(Refusal::ClientRateLimited);
        metrics.responded(429);
        let text = metrics.render(Gauges {
            in_flight: 3,
            queued: 2,
            ..Gauges::default()
        });
        for line in [
            "probe_scans_total{outcome=\"ok\"} 1",
            "probe_scans_total{outcome=\"timeout\"} 1",
            "probe_scan_duration_seconds_bucket{le=\"0.05\"} 0",
            "probe_scan_duration_seconds_bucket{le=\"0.1\"} 1",
            "probe_scan_duration_seconds_bucket{le=\"60\"} 1",
            "probe_scan_duration_seconds_bucket{le=\"+Inf\"} 2",
            "probe_scan_duration_seconds_count 2",
            "probe_scan_duration_seconds_sum 90.07",
            "probe_cache_hits_total 1",
            "probe_refusals_total{reason=\"client_rate_limited\"} 1",
            "probe_http_responses_total{class=\"4xx\"} 1",
            "probe_scans_in_flight 3",
            "probe_queue_depth 2",
            "probe_draining 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert_eq!(
            metrics.mean_scan_duration(),
            Some(Duration::from_millis(45_035))
        );
    }
}
