//! Servers written to misbehave (the testbed's `HostileServer`), scanned through the HTTP API
//! and through the CLI: each misbehaviour ends with a clear error (or a report that says what
//! went wrong) within the configured time, with bounded memory, and without a panic — the
//! server stays up and answers the next request.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::time::{Duration, Instant};

use probe_server::pki::trust::TrustStore;
use probe_server::scan::{Scanner, Timeouts};
use probe_server::server::{Application, HttpConfig, ServeConfig};
use probe_server::target::address_policy::AddressPolicy;
use shared::{ApiError, ErrorCode, Report};
use testbed::{Hostile, HostileServer};

/// The scan timeout both routes are given.
const SCAN_TIMEOUT: Duration = Duration::from_secs(6);
/// What a scan may take beyond it (assembling, the HTTP round trip, a busy CI machine).
const SLACK: Duration = Duration::from_secs(3);
/// Peak resident memory of one `probe-server scan` against any of them.
const MAX_RSS_KIB: u64 = 96 * 1024;

fn misbehaviours() -> Vec<(&'static str, Hostile)> {
    vec![
        ("tarpit", Hostile::Tarpit),
        ("garbage", Hostile::Garbage { len: 4096 }),
        ("http on the TLS port", Hostile::HttpResponse),
        ("record over 2^14+2048", Hostile::OversizedRecord),
        (
            "2^24-byte handshake message",
            Hostile::HugeHandshake { sent: 64 * 1024 },
        ),
        ("truncated handshake", Hostile::TruncatedHandshake),
        ("one byte a second", Hostile::drip()),
        ("reset mid-handshake", Hostile::ResetMidHandshake),
        (
            "endless warning alerts",
            Hostile::AlertFlood { description: 90 },
        ),
        ("100-certificate chain", Hostile::LongChain { count: 100 }),
        (
            "1 MB certificate",
            Hostile::HugeCertificate { size: 1 << 20 },
        ),
    ]
}

/// Starts every hostile server (each connection cut off after 60 s: longer than any scan,
/// so the probe's own limits are what ends it).
fn start_all() -> Vec<(&'static str, HostileServer)> {
    misbehaviours()
        .into_iter()
        .map(|(name, behaviour)| {
            let server = HostileServer::start_with_lifetime(behaviour, Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, server)
        })
        .collect()
}

/// What a scan of a hostile server came to.
#[derive(Debug)]
enum Outcome {
    /// A report: what went wrong must be in it (an untrusted chain, failed checks).
    Report(Box<Report>),
    Error(ApiError),
}

fn check(name: &str, outcome: &Outcome, took: Duration) {
    assert!(
        took <= SCAN_TIMEOUT + SLACK,
        "{name}: took {took:?} with a {SCAN_TIMEOUT:?} timeout"
    );
    match outcome {
        Outcome::Error(error) => {
            assert!(
                matches!(
                    error.error,
                    ErrorCode::ConnectFailed | ErrorCode::Timeout | ErrorCode::ResolveFailed
                ),
                "{name}: {error:?}"
            );
            assert!(
                error.message.len() > 20,
                "{name}: say what happened: {error:?}"
            );
            assert!(
                !error.message.contains("panic") && !error.message.contains("internal"),
                "{name}: {error:?}"
            );
        }
        Outcome::Report(report) => {
            let explained = !report.trust.trusted || !report.errors.is_empty();
            assert!(
                explained,
                "{name}: a report that does not say what is wrong"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn through_the_api_each_ends_clearly_in_time() {
    let servers = start_all();
    let mut scanner = Scanner::new(TrustStore::new(None).unwrap());
    scanner.egress.policy = AddressPolicy::allow_all();
    scanner.timeouts = Timeouts::within(SCAN_TIMEOUT);
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), scanner);
    config.limits.client_scans_per_minute = 0;
    config.limits.target_scans_per_minute = 0;
    // Every hostile server at once, from one client: no per-client caps.
    config.limits.client_scans_in_flight = 0;
    config.limits.client_streams = 0;
    config.http = HttpConfig {
        workers: 1,
        handle_signals: false,
        ..HttpConfig::default()
    };
    let app = Application::build(config).unwrap();
    let base = format!("http://{}", app.address());
    let shutdown = app.shutdown_handle();
    let running = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    // All at once, through the plain endpoint and the stream.
    let mut scans = Vec::new();
    for (name, server) in &servers {
        for stream in [false, true] {
            let url = if stream {
                format!(
                    "{base}/api/v1/probe/stream?host=127.0.0.1&port={}",
                    server.port()
                )
            } else {
                format!(
                    "{base}/api/v1/probe?host=127.0.0.1&port={}&quick=1",
                    server.port()
                )
            };
            let client = client.clone();
            let name = *name;
            scans.push(tokio::spawn(async move {
                let started = Instant::now();
                let response = client.get(url).send().await.unwrap();
                let status = response.status().as_u16();
                let body = response.text().await.unwrap();
                (name, stream, status, body, started.elapsed())
            }));
        }
    }
    for scan in scans {
        let (name, stream, status, body, took) = scan.await.unwrap();
        let outcome = if stream {
            assert_eq!(status, 200, "{name}");
            let data = body
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .next_back()
                .unwrap_or_else(|| panic!("{name}: no event in {body:?}"));
            match serde_json::from_str::<shared::StreamEvent>(data).unwrap() {
                shared::StreamEvent::Report { report } => Outcome::Report(report),
                shared::StreamEvent::Error(error) => Outcome::Error(error),
                other => panic!("{name}: the stream ended on {other:?}"),
            }
        } else if status == 200 {
            Outcome::Report(Box::new(serde_json::from_str(&body).unwrap()))
        } else {
            let error: ApiError = serde_json::from_str(&body).unwrap();
            assert_eq!(status, error.error.http_status(), "{name}");
            Outcome::Error(error)
        };
        eprintln!("{name:32} stream={stream:5} {took:>8.1?} {outcome:.160?}");
        check(name, &outcome, took);
    }

    // Still up, and no scan died of a panic.
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("probe_scans_total{outcome=\"internal\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("probe_scans_in_flight 0"), "{metrics}");
    shutdown.shutdown();
    running.await.unwrap().unwrap();
}

/// Peak resident memory (VmHWM, KiB) of a process, read until it exits.
async fn run_measured(args: &[String]) -> (std::process::Output, u64, Duration) {
    let started = Instant::now();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_probe-server"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id().unwrap());
    let output = child.wait_with_output();
    tokio::pin!(output);
    let mut peak = 0;
    let output = loop {
        tokio::select! {
            out = &mut output => break out.unwrap(),
            () = tokio::time::sleep(Duration::from_millis(20)) => {
                if let Ok(status) = std::fs::read_to_string(&status_file) {
                    let hwm = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                        .unwrap_or(0);
                    peak = peak.max(hwm);
                }
            }
        }
    };
    (output, peak, started.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn through_the_cli_each_ends_clearly_in_time_with_bounded_memory() {
    let servers = start_all();
    let mut runs = Vec::new();
    for (name, server) in &servers {
        let args = vec![
            "scan".to_owned(),
            format!("127.0.0.1:{}", server.port()),
            "--json".into(),
            "--timeout".into(),
            SCAN_TIMEOUT.as_secs().to_string(),
        ];
        let name = *name;
        runs.push(tokio::spawn(
            async move { (name, run_measured(&args).await) },
        ));
    }
    for run in runs {
        let (name, (output, peak_kib, took)) = run.await.unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let code = output.status.code();
        eprintln!(
            "{name:32} exit={code:?} {took:>8.1?} peak={} MiB {}",
            peak_kib / 1024,
            stderr.trim()
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(peak_kib <= MAX_RSS_KIB, "{name}: peak RSS {peak_kib} KiB");
        let outcome = match code {
            // The scan failed: the reason is on standard error.
            Some(3) => {
                let message = stderr
                    .lines()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or_else(|| panic!("{name}: no reason given: {stderr}"));
                let code = if message.contains("timed out") {
                    ErrorCode::Timeout
                } else {
                    ErrorCode::ConnectFailed
                };
                Outcome::Error(ApiError {
                    error: code,
                    message: message.to_owned(),
                })
            }
            // A grade: the report is on standard output.
            Some(0 | 4 | 5 | 6) => Outcome::Report(Box::new(
                serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{name}: {e}")),
            )),
            other => panic!("{name}: exit {other:?}: {stderr}"),
        };
        // A process start on top of the scan.
        check(name, &outcome, took.saturating_sub(Duration::from_secs(1)));
    }
}
