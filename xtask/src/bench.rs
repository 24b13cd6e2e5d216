//! `cargo xtask bench`: full scans of a local matrix of real TLS servers by our probe and, where
//! installed, by sslyze, nmap, sslscan and testssl.sh, each target behind a counting TCP relay;
//! a Markdown table of median wall time and TCP connections per target and tool, with the
//! ratio to ours, printed and written to `bench/RESULTS.md`.
//!
//! ```text
//! cargo xtask bench [--runs N] [--timeout SECONDS] [--targets ID,...] [--tools NAME,...]
//!                   [--sweep N,...] [--probe-arg ARG]... [--out PATH | --no-write] [--trace]
//!                   [--latency-ms MS]
//! ```
//!
//! - Runs are interleaved (run 1 of every tool on every target, then run 2, ...), so slow
//!   phases of a busy machine spread over all tools instead of hitting one.
//! - Wall time is measured here, from spawn to exit, for every tool alike (process start-up
//!   included: Python for sslyze, bash for testssl.sh).
//! - Connections are counted by the relay (accepted TCP connections), the same way for all.
//! - Everything started (servers, relays, tool processes) is stopped on every exit path: the
//!   servers and relays by their `Drop`, tools by killing their process group; Ctrl-C and
//!   SIGTERM set a flag that ends the current tool run and unwinds.

mod findings;
mod hello;
mod matrix;
mod relay;
mod results;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use self::findings::Found;
use self::matrix::{TARGETS, Target, TargetSpec};
use self::results::{Contender, Measurement, Results, Run};
use self::tools::{Ending, Installed, ScanTarget, Tool};

/// Options of `cargo xtask bench`.
#[derive(Debug)]
struct Options {
    runs: usize,
    timeout: Duration,
    targets: Vec<TargetSpec>,
    tools: Vec<Tool>,
    sweep: Vec<usize>,
    probe_args: Vec<String>,
    out: Option<PathBuf>,
    trace: bool,
    latency: Duration,
}

const USAGE: &str = "usage: cargo xtask bench [--runs N] [--timeout SECONDS] [--targets ID,...] [--tools NAME,...] [--sweep N,...] [--probe-arg ARG]... [--out PATH | --no-write]

  --runs N          scans per tool and target (default 5); the table shows medians
  --timeout SECONDS the most one tool run may take (default 300); a run cut there is shown as such
  --targets IDS     only these targets (default all): openssl-modern, openssl-legacy,
                    gnutls-rc4-3des, nginx-good, nginx-bad, wolfssl-lighttpd
  --tools NAMES     only these tools (default all): probe-server, sslyze, nmap, sslscan, testssl.sh
  --sweep N,...     also run our probe with --connections N for each N (extra rows)
  --probe-arg ARG   pass ARG to every `probe-server scan` (repeatable)
  --out PATH        where to write the results (default bench/RESULTS.md)
  --no-write        print the table only
  --trace           keep each connection's ClientHello and write what each run's connections
                    were for to target/bench/logs/*.hellos
  --latency-ms MS   the relays add MS one way (a round trip of 2 x MS, and one more for each
                    new connection, as TCP's handshake); default 0, loopback as it is";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        timeout: Duration::from_secs(300),
        targets: TARGETS.to_vec(),
        tools: Tool::ALL.to_vec(),
        sweep: Vec::new(),
        probe_args: Vec::new(),
        out: Some(workspace_root().join("bench/RESULTS.md")),
        trace: false,
        latency: Duration::ZERO,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        match flag {
            "--runs" => {
                options.runs = value()?
                    .parse()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or("--runs takes a number from 1 to 100")?;
            }
            "--timeout" => {
                let secs: f64 = value()?
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                    .ok_or("--timeout takes seconds, at most 3600")?;
                options.timeout = Duration::from_secs_f64(secs);
            }
            "--targets" => {
                let wanted = value()?;
                options.targets = wanted
                    .split(',')
                    .map(|id| {
                        TARGETS
                            .iter()
                            .find(|t| t.id == id.trim())
                            .copied()
                            .ok_or_else(|| format!("no target {id:?}\n\n{USAGE}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--tools" => {
                let wanted = value()?;
                options.tools = wanted
                    .split(',')
                    .map(|name| {
                        Tool::ALL
                            .into_iter()
                            .find(|t| {
                                t.name() == name.trim()
                                    || t.name() == name.trim().to_owned() + ".sh"
                            })
                            .ok_or_else(|| format!("no tool {name:?}\n\n{USAGE}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--sweep" => {
                options.sweep = value()?
                    .split(',')
                    .map(|n| {
                        n.trim()
                            .parse()
                            .ok()
                            .filter(|n| (1..=64).contains(n))
                            .ok_or_else(|| format!("--sweep takes numbers from 1 to 64, not {n:?}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--probe-arg" => options.probe_args.push(value()?),
            "--out" => options.out = Some(PathBuf::from(value()?)),
            "--no-write" => options.out = None,
            "--trace" => options.trace = true,
            "--latency-ms" => {
                let ms: u64 = value()?
                    .parse()
                    .ok()
                    .filter(|ms| *ms <= 1000)
                    .ok_or("--latency-ms takes milliseconds, at most 1000")?;
                options.latency = Duration::from_millis(ms);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    Ok(options)
}

/// The workspace root (xtask lives one level below it).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Runs the benchmark.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let interrupted = Arc::new(AtomicBool::new(false));
    watch_signals(interrupted.clone())?;

    let root = workspace_root();
    crate::setup::run(
        "cargo",
        &["build", "--release", "--quiet", "-p", "probe-server"],
    )?;
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let probe = target_dir.join("release/probe-server");

    // Which tools are here, and their versions.
    let mut contenders = Vec::new();
    let mut missing = Vec::new();
    for tool in &options.tools {
        match tools::find(*tool, &probe) {
            Some(installed) => {
                if *tool == Tool::Probe {
                    contenders.push(Contender::new(
                        installed.clone(),
                        options.probe_args.clone(),
                    ));
                    for n in &options.sweep {
                        let mut extra = options.probe_args.clone();
                        extra.extend(["--connections".to_owned(), n.to_string()]);
                        contenders.push(Contender::new(installed.clone(), extra));
                    }
                } else {
                    contenders.push(Contender::new(installed, Vec::new()));
                }
            }
            None => missing.push(*tool),
        }
    }
    for tool in &missing {
        eprintln!(
            "bench: {} is not installed (to include it: {})",
            tool.name(),
            tool.install_hint()
        );
    }
    if contenders.is_empty() {
        return Err("no tool to run".into());
    }

    // The servers, each behind its relay. Dropped (killed) on every way out of this function.
    let logs = target_dir.join("bench/logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("create {}: {e}", logs.display()))?;
    let pki = testbed::TestPki::new();
    let mut targets = Vec::new();
    for spec in &options.targets {
        if interrupted.load(Ordering::SeqCst) {
            return Err("interrupted".into());
        }
        eprintln!("bench: starting {} ({})", spec.id, spec.summary);
        let target = Target::start(*spec, &pki, options.latency)?;
        target.relay.capture(options.trace);
        eprintln!(
            "bench:   {} at {}, relay at {}",
            spec.id,
            target.upstream(),
            target.relay.addr()
        );
        targets.push(target);
    }

    let mut results = Results::new(&options.targets, &contenders, &missing, options.runs);
    for round in 0..options.runs {
        for (t, target) in targets.iter().enumerate() {
            for (c, contender) in contenders.iter().enumerate() {
                let run = measure(
                    contender,
                    target,
                    &pki,
                    &logs,
                    round,
                    options.timeout,
                    &interrupted,
                )?;
                eprintln!(
                    "bench: run {}/{} {:<16} {:<24} {:>8.2} s {:>5} connections{}",
                    round + 1,
                    options.runs,
                    target.spec.id,
                    contender.label,
                    run.wall.as_secs_f64(),
                    run.connections,
                    match run.ending {
                        Ending::Exited(_) if run.completed => String::new(),
                        Ending::Exited(status) => format!(" (failed: {status})"),
                        Ending::TimedOut => " (timed out)".into(),
                        Ending::Interrupted => " (interrupted)".into(),
                    }
                );
                if run.ending == Ending::Interrupted {
                    return Err("interrupted".into());
                }
                results.add(t, c, run);
            }
        }
    }

    let table = results.markdown(&options.timeout);
    println!("{table}");
    if let Some(out) = &options.out {
        let document = results::document(
            &results,
            &table,
            &machine(),
            &options.timeout,
            options.latency,
        );
        results::write(out, &results::section(options.latency), &document)?;
        eprintln!("bench: wrote {}", out.display());
    }
    drop(targets);
    Ok(())
}

/// One scan of `target` by `contender`, with the relay's counts.
fn measure(
    contender: &Contender,
    target: &Target,
    pki: &testbed::TestPki,
    logs: &Path,
    round: usize,
    timeout: Duration,
    interrupted: &AtomicBool,
) -> Result<Run, String> {
    let stem = format!("{}-{}-{}", target.spec.id, contender.slug(), round + 1);
    let stdout = logs.join(format!("{stem}.out"));
    let stderr = logs.join(format!("{stem}.err"));
    let json_out = logs.join(format!("{stem}.json"));
    let _ = std::fs::remove_file(&json_out);
    let scan = ScanTarget {
        name: target.spec.name,
        port: target.relay.addr().port(),
        http_port: target.http.port(),
        ca_file: pki.root_pem(),
        json_out: &json_out,
    };
    let args = tools::arguments(contender.installed.tool, &scan, &contender.extra);
    wait_until_idle(target);
    target.relay.reset();
    let finished = tools::run_bounded(
        &contender.installed.program,
        &args,
        &stdout,
        &stderr,
        timeout,
        interrupted,
    )?;
    let counts = target.relay.counts();
    wait_until_idle(target);
    let captured = target.relay.take_captured();
    if !captured.is_empty() {
        let mut text = hello::tally(captured.iter().map(|c| c.bytes.as_slice()));
        text.push_str("\n   #  opened–closed (ms since the tool started)  first flight\n");
        for (i, c) in captured.iter().enumerate() {
            text.push_str(&format!(
                "{:>4}  {:>6}–{:<6}  {}\n",
                i + 1,
                c.opened.as_millis(),
                c.closed.as_millis(),
                hello::describe(&c.bytes)
            ));
        }
        let path = logs.join(format!("{stem}.hellos"));
        std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    let out = std::fs::read_to_string(&stdout).unwrap_or_default();
    let json = std::fs::read_to_string(&json_out).ok();
    let completed = match finished.ending {
        Ending::Exited(status) => tools::scan_completed(contender.installed.tool, status),
        _ => false,
    };
    let found: Option<Found> = findings::read(contender.installed.tool, &out, json.as_deref());
    let report = (contender.installed.tool == Tool::Probe)
        .then(|| findings::probe_report(&out))
        .flatten();
    Ok(Run {
        wall: finished.wall,
        connections: counts.accepted,
        upstream_failed: counts.upstream_failed,
        peak: counts.peak,
        ending: finished.ending,
        completed,
        found,
        measurement: report.map(|r| Measurement {
            duration_ms: r.duration_ms,
            connections: r.connections,
        }),
        command: tools::generic_command(contender.installed.tool, &scan, &contender.extra),
    })
}

/// Waits (at most 5 s) until the relay has no connection in flight, so one run's late closes
/// do not overlap the next run's measurement.
fn wait_until_idle(target: &Target) {
    for _ in 0..500 {
        if target.relay.active() == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sets `flag` on Ctrl-C (SIGINT) or SIGTERM, instead of dying at once: the current tool run
/// is killed and the servers and relays are stopped as the bench unwinds.
fn watch_signals(flag: Arc<AtomicBool>) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the signal watcher: {e}"))?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-signals".into())
        .spawn(move || {
            runtime.block_on(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    let _ = ready_tx.send(false);
                    return;
                };
                let _ = ready_tx.send(true);
                loop {
                    tokio::select! {
                        _ = int.recv() => {},
                        _ = term.recv() => {},
                    }
                    eprintln!("bench: interrupted; stopping what was started");
                    flag.store(true, Ordering::SeqCst);
                }
            });
        })
        .map_err(|e| format!("cannot start the signal watcher: {e}"))?;
    match ready_rx.recv() {
        Ok(true) => Ok(()),
        _ => Err("cannot watch for Ctrl-C".into()),
    }
}

/// The machine, for RESULTS.md.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = Command::new("uname")
        .arg("-r")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_owned())
        .unwrap_or_default();
    format!("{cores} cores ({model}), {os}, Linux {kernel}")
}

/// The versions line for a tool.
pub(crate) fn version_line(installed: &Installed) -> String {
    format!(
        "{}: {} (`{}`)",
        installed.tool.name(),
        installed.version,
        installed.program.display()
    )
}
