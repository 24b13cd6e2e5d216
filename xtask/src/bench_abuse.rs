//! The abuse run of `cargo xtask bench-load`: `N` clients that flood the probe with tarpit
//! targets (a server that accepts and never answers), and what a well-behaved client's scans
//! of a good site cost meanwhile (p50/p99), against the same client's scans with nobody else
//! about.
//!
//! A second probe is started for it with the serving defaults — 16 slots, a queue of 64, the
//! per-client caps (3 scans in flight, 4 streams), the 4 s first-byte timeout — except that
//! the rate limits are off (so only the caps and the first-byte timeout hold the flood; the
//! rate limits would only make it smaller) and `--trusted-proxy 127.0.0.1/32`, so each
//! client is named by `X-Forwarded-For` as a reverse proxy would. Each flooding client runs 6
//! threads that ask for a new tarpit name as soon as their last answer came (after a 429, 20
//! ms later). Loopback only; every loop bounded by the run's time.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::bench_load::{get_as, start_probe};

/// Threads per flooding client.
const THREADS_PER_ABUSER: usize = 6;
/// The most tarpit connections held open at once (older ones are let go).
const MAX_HELD: usize = 4096;

/// What the abuse run measured.
#[derive(Debug)]
pub(crate) struct Abuse {
    pub(crate) abusers: usize,
    pub(crate) caps: bool,
    pub(crate) seconds: u64,
    pub(crate) baseline: Latencies,
    pub(crate) under_abuse: Latencies,
    /// The flood's answers: 429 (past its cap), 504 (a tarpit scan that timed out), other.
    pub(crate) refused_429: usize,
    pub(crate) timed_out_504: usize,
    pub(crate) other: usize,
    pub(crate) peak_in_flight: u64,
}

/// A well-behaved client's scans.
#[derive(Debug, Default)]
pub(crate) struct Latencies {
    pub(crate) scans: usize,
    pub(crate) failed: usize,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

impl Latencies {
    fn of(mut millis: Vec<f64>, failed: usize) -> Self {
        millis.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if millis.is_empty() {
                return 0.0;
            }
            let i = ((millis.len() - 1) as f64 * q).round() as usize;
            millis[i.min(millis.len() - 1)]
        };
        Self {
            scans: millis.len() + failed,
            failed,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
        }
    }
}

/// Accepts connections and never answers. Stops when dropped.
struct Tarpit {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Tarpit {
    fn start() -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = thread::spawn(move || {
            let mut held = std::collections::VecDeque::new();
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    held.push_back(stream);
                    if held.len() > MAX_HELD {
                        held.pop_front();
                    }
                }
            }
        });
        Ok(Self {
            port,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Tarpit {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The good client: full scans of new names for `seconds`, one after the other.
fn good_client(address: SocketAddr, tag: &str, seconds: u64) -> Latencies {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut millis = Vec::new();
    let mut failed = 0;
    for i in 0..100_000 {
        if Instant::now() >= deadline {
            break;
        }
        let path = format!("/api/v1/probe?host={tag}{i}.bench.test&port=443");
        let started = Instant::now();
        match get_as(address, &path, Duration::from_secs(120), "203.0.113.10") {
            Ok((200, _)) => millis.push(started.elapsed().as_secs_f64() * 1000.0),
            _ => failed += 1,
        }
    }
    Latencies::of(millis, failed)
}

fn in_flight(address: SocketAddr) -> u64 {
    match get_as(address, "/metrics", Duration::from_secs(5), "203.0.113.99") {
        Ok((200, body)) => body
            .lines()
            .find_map(|l| l.strip_prefix("probe_scans_in_flight "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

/// Runs the abuse run (see the module docs).
pub(crate) fn run(
    release: &Path,
    fast: u16,
    ca: &str,
    abusers: usize,
    seconds: u64,
    caps: bool,
) -> Result<Abuse, String> {
    let tarpit = Tarpit::start()?;
    let mut args = vec![
        "serve".to_owned(),
        "--listen=127.0.0.1:0".into(),
        "--log-format=json".into(),
        "--allow-private".into(),
        "--allow-port=all".into(),
        format!("--ca-file={ca}"),
        "--trusted-proxy=127.0.0.1/32".into(),
        "--client-scans-per-minute=0".into(),
        "--target-scans-per-minute=0".into(),
        "--refreshes-per-minute=0".into(),
        format!("--connect-to=:443:127.0.0.1:{fast}"),
        format!("--connect-to=:445:127.0.0.1:{}", tarpit.port),
        "--connect-to=:80:127.0.0.1:1".into(),
    ];
    if !caps {
        // For comparison: what the flood does without the per-client caps.
        args.push("--client-scans-in-flight=0".into());
        args.push("--client-streams=0".into());
    }
    let (_probe, address, _pid) = start_probe(release, &args)?;
    eprintln!(
        "abuse run: probe on {address}, tarpit on port {}, {abusers} flooding clients",
        tarpit.port
    );

    let baseline = good_client(address, "calm", seconds.div_ceil(2));

    let stop = AtomicBool::new(false);
    let counts = [
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ];
    let peak = AtomicU64::new(0);
    let next_name = AtomicU64::new(0);
    let under_abuse = Mutex::new(Latencies::default());
    thread::scope(|scope| {
        for client in 0..abusers {
            for _ in 0..THREADS_PER_ABUSER {
                let (stop, counts, next_name) = (&stop, &counts, &next_name);
                scope.spawn(move || {
                    let forwarded = format!("198.51.100.{}", client + 1);
                    // Bounded by the run's time (checked each round) and a count.
                    for _ in 0..1_000_000 {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let n = next_name.fetch_add(1, Ordering::SeqCst);
                        let path = format!("/api/v1/probe?host=t{n}.tarpit.test&port=445");
                        match get_as(address, &path, Duration::from_secs(60), &forwarded) {
                            Ok((429, _)) => {
                                counts[0].fetch_add(1, Ordering::Relaxed);
                                thread::sleep(Duration::from_millis(20));
                            }
                            Ok((504, _)) => {
                                counts[1].fetch_add(1, Ordering::Relaxed);
                            }
                            _ => {
                                counts[2].fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
        }
        scope.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                peak.fetch_max(in_flight(address), Ordering::SeqCst);
                thread::sleep(Duration::from_millis(100));
            }
        });
        // Let the flood take its slots, then measure (at most 10 s of waiting).
        let want = (abusers * 3).min(16) as u64;
        let waiting = Instant::now();
        while in_flight(address) < want && waiting.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(20));
        }
        *under_abuse.lock().unwrap_or_else(|e| e.into_inner()) =
            good_client(address, "busy", seconds);
        stop.store(true, Ordering::SeqCst);
    });
    Ok(Abuse {
        abusers,
        caps,
        seconds,
        baseline,
        under_abuse: under_abuse.into_inner().unwrap_or_else(|e| e.into_inner()),
        refused_429: counts[0].load(Ordering::SeqCst),
        timed_out_504: counts[1].load(Ordering::SeqCst),
        other: counts[2].load(Ordering::SeqCst),
        peak_in_flight: peak.load(Ordering::SeqCst),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let l = Latencies::of((1..=100).map(f64::from).collect(), 3);
        assert_eq!((l.scans, l.failed), (103, 3));
        assert_eq!((l.p50_ms, l.p99_ms), (51.0, 99.0));
        assert_eq!(Latencies::of(Vec::new(), 0).p99_ms, 0.0);
    }
}
