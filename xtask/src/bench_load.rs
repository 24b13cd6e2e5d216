//! `cargo xtask bench-load`: the probe server under load, on this machine, against a local
//! target (loopback only; every loop bounded).
//!
//! 1. Builds the release `probe-server` and the `bench_target` example (a TLS server for
//!    `bench.test` and `*.bench.test`, and a slow door to it that holds each connection).
//! 2. Starts both, the probe with its defaults except: any address and port, `--connect-to`
//!    rules that send every name to the target, room for 128 scans, no rate limits.
//! 3. Measures:
//!    - cached verdicts per second: `wrk` on one cached report;
//!    - quick and full scans per second: distinct names (so no cache), 16 at a time;
//!    - resident memory (peak `VmRSS`) under 100 concurrent full scans, and under 100
//!      concurrent quick scans held open by the slow door, with the number in flight read
//!      from `/metrics`;
//!    - with `hyperfine` installed, one `probe-server scan` (quick and full) from the CLI.
//! 4. Prints a table, writes `target/bench-load.json`, and fails when a target is missed:
//!    at least 500 cached verdicts/s, at most 50 MB RSS at 100 concurrent scans.
//!
//! 5. The abuse run (`bench_abuse.rs`): `--abusers N` clients (default 4) flood a second
//!    probe with tarpit targets for `--abuse-seconds` (default 20), and a well-behaved
//!    client's full scans are timed (p50/p99) against the same scans with nobody else about.
//!
//! 6. `--redis` (instead of all the above): replicas of the probe sharing one real
//!    `redis-server`, 1 and then 3, with cached verdicts per second, the Redis commands per
//!    request and the memory of a cached report (`bench_redis.rs`).
//!
//! Options: `--duration SECONDS` (wrk, default 10), `--scans N` (quick scans, default 200),
//! `--full-scans N` (default 40), `--abusers N`, `--abuse-seconds N`, `--abuse-only` (only
//! the abuse run: no `wrk` needed), `--abuse-without-caps` (the abuse run with the
//! per-client caps off, for comparison), `--redis` (only the replicas' run), `--no-build`,
//! `--no-check`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Targets of the issue.
const MIN_CACHED_PER_SECOND: f64 = 500.0;
const MAX_RSS_MB: f64 = 50.0;
const CONCURRENT: usize = 100;

#[derive(Debug)]
struct Options {
    duration: u64,
    scans: usize,
    full_scans: usize,
    build: bool,
    check: bool,
    abusers: usize,
    abuse_seconds: u64,
    abuse_only: bool,
    abuse_caps: bool,
    redis: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Self {
            duration: 10,
            scans: 200,
            full_scans: 40,
            build: true,
            check: true,
            abusers: 4,
            abuse_seconds: 20,
            abuse_only: false,
            abuse_caps: true,
            redis: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> Result<u64, String> {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| format!("{name} wants a number"))
            };
            match arg.as_str() {
                "--duration" => options.duration = number("--duration")?,
                "--scans" => options.scans = number("--scans")? as usize,
                "--full-scans" => options.full_scans = number("--full-scans")? as usize,
                "--abusers" => options.abusers = number("--abusers")? as usize,
                "--abuse-seconds" => options.abuse_seconds = number("--abuse-seconds")?,
                "--abuse-only" => options.abuse_only = true,
                "--abuse-without-caps" => options.abuse_caps = false,
                "--redis" => options.redis = true,
                "--no-build" => options.build = false,
                "--no-check" => options.check = false,
                other => return Err(format!("bench-load: unknown option {other}")),
            }
        }
        Ok(options)
    }
}

/// A child process killed when dropped.
pub(crate) struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Runs the benchmark (see the module docs).
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    let root = workspace_root();
    if options.build {
        crate::setup::run(
            "cargo",
            &[
                "build",
                "--release",
                "-p",
                "probe-server",
                "--bin",
                "probe-server",
                "--example",
                "bench_target",
            ],
        )?;
    }
    let release = root.join("target/release");

    // The target.
    let mut target = Command::new(release.join("examples/bench_target"))
        .args(["--delay-ms", "1500"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start bench_target: {e}"))?;
    let mut line = String::new();
    BufReader::new(target.stdout.take().ok_or("no stdout")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let _target = Running(target);
    let fast = json_number(&line, "fast").ok_or_else(|| format!("bench_target said {line}"))?;
    let slow = json_number(&line, "slow").ok_or_else(|| format!("bench_target said {line}"))?;
    let ca = json_string(&line, "ca").ok_or_else(|| format!("bench_target said {line}"))?;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();

    if options.abuse_only {
        let abuse = crate::bench_abuse::run(
            &release,
            fast,
            &ca,
            options.abusers,
            options.abuse_seconds,
            options.abuse_caps,
        )?;
        print_abuse(&abuse);
        return Ok(());
    }

    // The probe.
    let rules = [
        format!(":443:127.0.0.1:{fast}"),
        format!(":444:127.0.0.1:{slow}"),
        format!(":80:127.0.0.1:{closed}"),
    ];
    let mut probe_args = vec![
        "serve".to_owned(),
        "--listen=127.0.0.1:0".into(),
        "--log-format=json".into(),
        "--allow-private".into(),
        "--allow-port=all".into(),
        format!("--ca-file={ca}"),
        "--max-scans=128".into(),
        "--queue=256".into(),
        "--client-scans-per-minute=0".into(),
        "--target-scans-per-minute=0".into(),
        "--refreshes-per-minute=0".into(),
        // One client (this one) asks for everything here: no per-client caps either.
        "--client-scans-in-flight=0".into(),
        "--client-streams=0".into(),
    ];
    probe_args.extend(rules.iter().map(|r| format!("--connect-to={r}")));
    if options.redis {
        let bench = crate::bench_redis::run(&release, &probe_args, options.duration)?;
        crate::bench_redis::print(&bench, options.duration);
        let worst = bench
            .points
            .iter()
            .map(|p| p.per_second)
            .fold(f64::INFINITY, f64::min);
        if options.check && worst < MIN_CACHED_PER_SECOND {
            return Err("a load target was missed (see the table)".into());
        }
        return Ok(());
    }
    let (_probe, address, pid) = start_probe(&release, &probe_args)?;
    let idle_rss = rss_kib(pid).unwrap_or(0);
    eprintln!(
        "probe-server (pid {pid}) on {address}; target on ports {fast} (fast), {slow} (slow)"
    );

    // 1. Cached verdicts.
    let (status, _) = get(
        address,
        "/api/v1/probe?host=bench.test",
        Duration::from_secs(60),
    )?;
    if status != 200 {
        return Err(format!("warming the cache: HTTP {status}"));
    }
    let url = format!("http://{address}/api/v1/probe?host=bench.test");
    let wrk = wrk(&url, options.duration)?;

    // 2. Scans per second, 16 at a time, every name new.
    let quick = scan_burst(address, "q", options.scans, 16, "&quick=1", 443)?;
    let full = scan_burst(address, "f", options.full_scans, 16, "", 443)?;

    // 3. Memory under 100 concurrent scans.
    let concurrent_full = measured_burst(address, pid, "cf", "", 443)?;
    let concurrent_quick = measured_burst(address, pid, "cq", "&quick=1", 444)?;
    let peak_rss = peak_rss_kib(pid).unwrap_or(0);
    let cli = cli_timings(&release, fast, &ca);

    let abuse = crate::bench_abuse::run(
        &release,
        fast,
        &ca,
        options.abusers,
        options.abuse_seconds,
        options.abuse_caps,
    )?;

    let cached_ok = wrk.requests_per_second >= MIN_CACHED_PER_SECOND && wrk.errors == 0;
    let rss_mb = |kib: u64| kib as f64 / 1024.0;
    let worst_rss = concurrent_full.peak_rss.max(concurrent_quick.peak_rss);
    let rss_ok = rss_mb(worst_rss) <= MAX_RSS_MB;
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!();
    println!(
        "probe-server load benchmark (release build, {} CPUs, loopback)",
        cpus()
    );
    println!("| measure | result | target |");
    println!("| --- | --- | --- |");
    println!(
        "| cached verdicts/s (wrk, 2 threads, 64 connections, {} s) | {:.0} (p99 {}, {} errors) | >= {MIN_CACHED_PER_SECOND:.0} {} |",
        options.duration,
        wrk.requests_per_second,
        wrk.p99,
        wrk.errors,
        mark(cached_ok)
    );
    println!(
        "| quick scans/s (16 at a time, {} scans) | {:.1} ({} failed) | |",
        quick.scans, quick.per_second, quick.failed
    );
    println!(
        "| full scans/s (16 at a time, {} scans) | {:.1} ({} failed) | |",
        full.scans, full.per_second, full.failed
    );
    println!(
        "| RSS, 100 concurrent full scans (peak {} in flight) | {:.1} MB | <= {MAX_RSS_MB:.0} MB {} |",
        concurrent_full.peak_in_flight,
        rss_mb(concurrent_full.peak_rss),
        mark(rss_mb(concurrent_full.peak_rss) <= MAX_RSS_MB)
    );
    println!(
        "| RSS, 100 concurrent quick scans held open (peak {} in flight) | {:.1} MB | <= {MAX_RSS_MB:.0} MB {} |",
        concurrent_quick.peak_in_flight,
        rss_mb(concurrent_quick.peak_rss),
        mark(rss_mb(concurrent_quick.peak_rss) <= MAX_RSS_MB)
    );
    println!(
        "| RSS idle / high-water mark | {:.1} MB / {:.1} MB | |",
        rss_mb(idle_rss),
        rss_mb(peak_rss)
    );
    println!(
        "| log lines written | {} | |",
        LOG_LINES.load(Ordering::Relaxed)
    );
    for (what, ms) in &cli {
        println!("| `probe-server scan` {what} (hyperfine, mean) | {ms:.1} ms | |");
    }
    print_abuse(&abuse);

    let json = format!(
        "{{\"cached_per_second\":{:.1},\"cached_p99\":{:?},\"cached_errors\":{},\
         \"quick_scans_per_second\":{:.2},\"full_scans_per_second\":{:.2},\
         \"rss_mb_100_full\":{:.1},\"in_flight_100_full\":{},\
         \"rss_mb_100_quick\":{:.1},\"in_flight_100_quick\":{},\
         \"rss_mb_idle\":{:.1},\"rss_mb_high_water\":{:.1},\
         \"abuse_p50_ms\":{:.1},\"abuse_p99_ms\":{:.1},\"calm_p50_ms\":{:.1},\"calm_p99_ms\":{:.1}}}\n",
        wrk.requests_per_second,
        wrk.p99,
        wrk.errors,
        quick.per_second,
        full.per_second,
        rss_mb(concurrent_full.peak_rss),
        concurrent_full.peak_in_flight,
        rss_mb(concurrent_quick.peak_rss),
        concurrent_quick.peak_in_flight,
        rss_mb(idle_rss),
        rss_mb(peak_rss),
        abuse.under_abuse.p50_ms,
        abuse.under_abuse.p99_ms,
        abuse.baseline.p50_ms,
        abuse.baseline.p99_ms,
    );
    let out = root.join("target/bench-load.json");
    std::fs::write(&out, json).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());

    if options.check && !(cached_ok && rss_ok) {
        return Err("a load target was missed (see the table)".into());
    }
    Ok(())
}

/// The abuse run's rows.
fn print_abuse(abuse: &crate::bench_abuse::Abuse) {
    println!();
    println!(
        "abuse run: {} clients flood with tarpit targets for {} s (serving defaults, rate limits off{})",
        abuse.abusers,
        abuse.seconds,
        if abuse.caps {
            ""
        } else {
            ", per-client caps OFF"
        }
    );
    println!("| measure | result |");
    println!("| --- | --- |");
    let row = |what: &str, l: &crate::bench_abuse::Latencies| {
        println!(
            "| {what}: full scans of a good site, one at a time | p50 {:.0} ms, p99 {:.0} ms ({} scans, {} failed) |",
            l.p50_ms, l.p99_ms, l.scans, l.failed
        );
    };
    row("alone", &abuse.baseline);
    row("during the flood", &abuse.under_abuse);
    println!(
        "| the flood's answers | {} × 429 (past the cap), {} × 504 (tarpit timed out), {} other |",
        abuse.refused_429, abuse.timed_out_504, abuse.other
    );
    println!(
        "| scans in flight at most (of 16 slots) | {} |",
        abuse.peak_in_flight
    );
}

/// Starts `probe-server` with `args` (which must include `--listen=…:0` and
/// `--log-format=json`), waits until it listens, and drains its logs as a journal would.
pub(crate) fn start_probe(
    release: &std::path::Path,
    args: &[String],
) -> Result<(Running, SocketAddr, u32), String> {
    let mut probe = Command::new(release.join("probe-server"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start probe-server: {e}"))?;
    let pid = probe.id();
    let stderr = probe.stderr.take().ok_or("no stderr")?;
    let running = Running(probe);
    let mut lines = BufReader::new(stderr).lines();
    let address: SocketAddr = loop {
        let line = lines
            .next()
            .ok_or("probe-server ended before it listened")?
            .map_err(|e| e.to_string())?;
        if line.contains("probe server listening") {
            break json_string(&line, "address")
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| format!("no address in {line}"))?;
        }
    };
    thread::spawn(move || {
        for _ in lines.map_while(Result::ok) {
            LOG_LINES.fetch_add(1, Ordering::Relaxed);
        }
    });
    Ok((running, address, pid))
}

/// Log lines the probes wrote.
static LOG_LINES: AtomicU64 = AtomicU64::new(0);

fn cpus() -> usize {
    thread::available_parallelism().map_or(1, usize::from)
}

/// Mean wall time of one CLI scan, quick and full, if `hyperfine` is there.
fn cli_timings(release: &std::path::Path, port: u16, ca: &str) -> Vec<(&'static str, f64)> {
    let binary = release.join("probe-server");
    let command = |name: &str, extra: &str| {
        format!(
            "{} scan {name}.bench.test --json --connect-to ::127.0.0.1:{port} \
             --connect-to :80:127.0.0.1:1 --ca-file {ca}{extra}",
            binary.display()
        )
    };
    let mut timings = Vec::new();
    for (what, name, extra) in [
        ("--quick", "cli-quick", " --quick"),
        ("full", "cli-full", ""),
    ] {
        let export = std::env::temp_dir().join(format!("bench-load-{name}.json"));
        let ran = Command::new("hyperfine")
            .args(["-N", "-w", "2", "-r", "20", "--export-json"])
            .arg(&export)
            .arg(command(name, extra))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !ran.is_ok_and(|s| s.success()) {
            eprintln!("bench-load: hyperfine not run (apt-get install hyperfine)");
            return timings;
        }
        let json = std::fs::read_to_string(&export).unwrap_or_default();
        let _ = std::fs::remove_file(&export);
        let mean = json
            .split_once("\"mean\":")
            .and_then(|(_, rest)| rest.split([',', '}']).next())
            .and_then(|v| v.trim().parse::<f64>().ok());
        if let Some(seconds) = mean {
            timings.push((what, seconds * 1000.0));
        }
    }
    timings
}

/// What `wrk` measured.
#[derive(Debug)]
pub(crate) struct Wrk {
    pub(crate) requests_per_second: f64,
    /// Requests completed in all.
    pub(crate) requests: u64,
    p99: String,
    pub(crate) errors: u64,
}

fn wrk(url: &str, seconds: u64) -> Result<Wrk, String> {
    wrk_with(url, seconds, 2, 64)
}

/// `wrk` on `url` for `seconds` with `threads` threads and `connections` connections.
pub(crate) fn wrk_with(
    url: &str,
    seconds: u64,
    threads: usize,
    connections: usize,
) -> Result<Wrk, String> {
    let output = Command::new("wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "5s",
            "--latency",
            url,
        ])
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!("wrk failed: {text}"));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_owned())
    };
    let requests_per_second = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let non_2xx: u64 = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket_errors: u64 = field("Socket errors:")
        .map(|v| {
            v.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    // "N requests in 10.00s, …"
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    Ok(Wrk {
        requests_per_second,
        requests,
        p99: field("99%").unwrap_or_default(),
        errors: non_2xx + socket_errors,
    })
}

/// A burst of scans.
#[derive(Debug)]
struct Burst {
    scans: usize,
    failed: usize,
    per_second: f64,
}

/// `count` scans of new names (`{prefix}{i}.bench.test`), `concurrency` at a time.
fn scan_burst(
    address: SocketAddr,
    prefix: &str,
    count: usize,
    concurrency: usize,
    extra: &str,
    port: u16,
) -> Result<Burst, String> {
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    thread::scope(|scope| {
        for _ in 0..concurrency {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        break;
                    }
                    let path =
                        format!("/api/v1/probe?host={prefix}{i}.bench.test&port={port}{extra}");
                    match get(address, &path, Duration::from_secs(120)) {
                        Ok((200, _)) => {}
                        _ => {
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Burst {
        scans: count,
        failed: failed.load(Ordering::SeqCst),
        per_second: count as f64 / elapsed,
    })
}

/// Memory under load.
#[derive(Debug)]
struct Measured {
    peak_rss: u64,
    peak_in_flight: u64,
}

/// [`CONCURRENT`] scans at once, sampling the probe's RSS and its scans in flight.
fn measured_burst(
    address: SocketAddr,
    pid: u32,
    prefix: &str,
    extra: &str,
    port: u16,
) -> Result<Measured, String> {
    let done = AtomicBool::new(false);
    let peak_rss = AtomicU64::new(0);
    let peak_in_flight = AtomicU64::new(0);
    let result = thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                if let Some(rss) = rss_kib(pid) {
                    peak_rss.fetch_max(rss, Ordering::SeqCst);
                }
                thread::sleep(Duration::from_millis(10));
            }
        });
        scope.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                if let Ok((200, body)) = get(address, "/metrics", Duration::from_secs(5)) {
                    let in_flight = body
                        .lines()
                        .find_map(|l| l.strip_prefix("probe_scans_in_flight "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    peak_in_flight.fetch_max(in_flight, Ordering::SeqCst);
                }
                thread::sleep(Duration::from_millis(50));
            }
        });
        let burst = scan_burst(address, prefix, CONCURRENT, CONCURRENT, extra, port);
        done.store(true, Ordering::SeqCst);
        burst
    })?;
    if result.failed > 0 {
        eprintln!("bench-load: {} of {CONCURRENT} scans failed", result.failed);
    }
    Ok(Measured {
        peak_rss: peak_rss.load(Ordering::SeqCst),
        peak_in_flight: peak_in_flight.load(Ordering::SeqCst),
    })
}

/// A field of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// `GET path` over a fresh connection: the status and the body.
pub(crate) fn get(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<(u16, String), String> {
    get_with(address, path, timeout, "")
}

/// [`get`] for the client `forwarded_for`, as a trusted proxy names it.
pub(crate) fn get_as(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
    forwarded_for: &str,
) -> Result<(u16, String), String> {
    get_with(
        address,
        path,
        timeout,
        &format!("X-Forwarded-For: {forwarded_for}\r\n"),
    )
}

fn get_with(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
    headers: &str,
) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect_timeout(&address, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream
        .take(64 * 1024 * 1024)
        .read_to_end(&mut answer)
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP answer to {path}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// The number after `"key":` in a one-line JSON object.
fn json_number(line: &str, key: &str) -> Option<u16> {
    let rest = line.split_once(&format!("\"{key}\":"))?.1;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The string after `"key":` in a one-line JSON object (no escapes in it).
fn json_string(line: &str, key: &str) -> Option<String> {
    let rest = line.split_once(&format!("\"{key}\":\""))?.1;
    Some(rest.split('"').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_line_json() {
        let line = r#"{"fast":123,"slow":456,"ca":"/tmp/x/root.pem"}"#;
        assert_eq!(json_number(line, "fast"), Some(123));
        assert_eq!(json_number(line, "slow"), Some(456));
        assert_eq!(json_string(line, "ca").as_deref(), Some("/tmp/x/root.pem"));
        assert_eq!(json_number(line, "none"), None);
    }

    #[test]
    fn options() {
        let args: Vec<String> = ["--duration", "3", "--no-build"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let o = Options::parse(&args).unwrap();
        assert_eq!((o.duration, o.build, o.check), (3, false, true));
        assert!(Options::parse(&["--duration".to_owned()]).is_err());
        assert!(Options::parse(&["--bogus".to_owned()]).is_err());
    }
}
