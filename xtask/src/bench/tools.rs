//! The scanners compared, how each is invoked, and a bounded, interruptible way to run them.
//!
//! Every tool scans the target's relay (127.0.0.1:PORT) with the target's host name as SNI
//! where it takes one, does its full default scan (protocols, every suite, vulnerabilities),
//! and runs in a process group of its own so that a time-out or Ctrl-C kills it and every
//! helper it started (testssl.sh runs `openssl` hundreds of times).

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The scanners, in table order (ours first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tool {
    Probe,
    Sslyze,
    Nmap,
    Sslscan,
    Testssl,
}

impl Tool {
    pub(crate) const ALL: [Self; 5] = [
        Self::Probe,
        Self::Sslyze,
        Self::Nmap,
        Self::Sslscan,
        Self::Testssl,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Probe => "probe-server",
            Self::Sslyze => "sslyze",
            Self::Nmap => "nmap",
            Self::Sslscan => "sslscan",
            Self::Testssl => "testssl.sh",
        }
    }

    /// The program to look for on PATH (Debian installs testssl.sh as `testssl`).
    fn programs(self) -> &'static [&'static str] {
        match self {
            Self::Probe => &[],
            Self::Sslyze => &["sslyze"],
            Self::Nmap => &["nmap"],
            Self::Sslscan => &["sslscan"],
            Self::Testssl => &["testssl", "testssl.sh"],
        }
    }

    /// How to install it (printed for tools that are missing).
    pub(crate) fn install_hint(self) -> &'static str {
        match self {
            Self::Probe => "cargo build --release -p probe-server",
            Self::Sslyze => "pip install sslyze (e.g. in a venv, with `sslyze` on PATH)",
            Self::Nmap => "apt-get install nmap",
            Self::Sslscan => "apt-get install sslscan",
            Self::Testssl => "apt-get install testssl.sh",
        }
    }

    /// What the invocation covers, for RESULTS.md.
    pub(crate) fn coverage(self) -> &'static str {
        match self {
            Self::Probe => {
                "Full scan (the default): verified rustls handshake, HTTP GET (HSTS), session resumption, the other ALPN protocol, port-80 redirect (not relayed, so not counted), then raw hellos: SSLv2, SSLv3, TLS 1.0–1.3 with every IANA suite enumerated per version and the server's order, TLS 1.3 groups (PQ hybrids via HRR), TLS 1.2 curves, signature schemes, Heartbleed, CCS injection, ROBOT (five RSA key exchanges, or one refused hello), TLS_FALLBACK_SCSV, compression; certificate chain and trust. 8 connections in flight (default)."
            }
            Self::Sslyze => {
                "Every scan command it has, named one by one (what it runs when given none), with the Mozilla compliance check off (it opens no connection, and would make the exit status 1 for every non-compliant server): certificate info, SSLv2/SSLv3/TLS 1.0–1.3 suites (each suite tried alone), elliptic curves, Heartbleed, OpenSSL CCS injection, ROBOT, TLS_FALLBACK_SCSV, renegotiation, session resumption, compression, HTTP headers, TLS 1.3 early data, extended master secret. Its default concurrency."
            }
            Self::Nmap => {
                "The NSE scripts asked for in the issue: ssl-enum-ciphers (every suite per protocol SSLv3–TLS 1.3, server order, curves), ssl-heartbleed, ssl-ccs-injection, ssl-poodle, sslv2-drown. `-Pn -n` (no host discovery, no DNS); the port check is a SYN probe, which the relay does not accept as a connection."
            }
            Self::Sslscan => {
                "Its default scan plus `--show-sigs`: SSLv2/SSLv3/TLS 1.0–1.3 support, TLS_FALLBACK_SCSV, renegotiation, compression, Heartbleed, every suite per protocol, key-exchange groups, signature algorithms, certificate."
            }
            Self::Testssl => {
                "Its default run (no test option given): protocols (incl. SSLv2/SSLv3 by sockets), cipher categories, forward secrecy, server preference and per-protocol cipher order, server defaults (certificate, tickets, resumption), HTTP headers, every vulnerability check (Heartbleed, CCS, Ticketbleed, ROBOT, renegotiation, CRIME, BREACH, POODLE, fallback, SWEET32, FREAK, DROWN, Logjam, BEAST, LUCKY13, RC4), client simulation. `--nodns none --ip 127.0.0.1` so no name is resolved."
            }
        }
    }
}

/// A tool found on this machine.
#[derive(Clone, Debug)]
pub(crate) struct Installed {
    pub(crate) tool: Tool,
    pub(crate) program: PathBuf,
    pub(crate) version: String,
}

/// Looks a program up on PATH.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The tool, when it is installed (ours is `probe`, the release binary).
pub(crate) fn find(tool: Tool, probe: &Path) -> Option<Installed> {
    let program = match tool {
        Tool::Probe => probe.to_path_buf(),
        _ => tool.programs().iter().find_map(|p| which(p))?,
    };
    let version = version_of(tool, &program)?;
    Some(Installed {
        tool,
        program,
        version,
    })
}

/// The tool's version line (None when the program does not run).
fn version_of(tool: Tool, program: &Path) -> Option<String> {
    let output = if tool == Tool::Sslyze {
        // sslyze has no --version: ask the interpreter its script runs with (its shebang).
        let script = std::fs::read_to_string(program).ok()?;
        let python = script.lines().next()?.strip_prefix("#!")?.trim().to_owned();
        let mut words = python.split_whitespace();
        Command::new(words.next()?)
            .args(words)
            .args([
                "-c",
                "import importlib.metadata as m; print('Version: ' + m.version('sslyze'))",
            ])
            .output()
            .ok()?
    } else {
        Command::new(program).arg("--version").output().ok()?
    };
    let text = strip_ansi(&String::from_utf8_lossy(&output.stdout));
    let line = match tool {
        Tool::Probe => text.lines().next().map(|line| {
            let commit = Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default();
            format!("{line} (release build, commit {commit})")
        }),
        Tool::Nmap => text.split_whitespace().nth(2).map(|v| format!("nmap {v}")),
        Tool::Sslscan => {
            let words: Vec<&str> = text.split_whitespace().collect();
            Some(format!(
                "sslscan {} ({})",
                words.first().copied().unwrap_or("?"),
                words.get(1..3).map(|w| w.join(" ")).unwrap_or_default()
            ))
        }
        Tool::Sslyze => text
            .lines()
            .find_map(|l| l.strip_prefix("Version: "))
            .map(|v| format!("sslyze {v}")),
        Tool::Testssl => {
            let version = text
                .lines()
                .find(|l| l.contains("testssl") && l.contains("from"))
                .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
            let openssl = text
                .lines()
                .find(|l| l.contains("Using \"OpenSSL"))
                .and_then(|l| l.split('"').nth(1))
                .map(|s| s.split(" (").next().unwrap_or(s).to_owned());
            version.map(|v| match openssl {
                Some(o) => format!("{v} (with {o})"),
                None => v,
            })
        }
    };
    line.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty())
}

/// Removes terminal colour codes.
pub(crate) fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Every scan command of sslyze 6 (what it runs when given none).
const SSLYZE_COMMANDS: &[&str] = &[
    "certinfo",
    "sslv2",
    "sslv3",
    "tlsv1",
    "tlsv1_1",
    "tlsv1_2",
    "tlsv1_3",
    "elliptic_curves",
    "heartbleed",
    "openssl_ccs",
    "robot",
    "fallback",
    "reneg",
    "resum",
    "compression",
    "http_headers",
    "early_data",
    "ems",
];

/// What one scan needs to know about its target.
#[derive(Debug)]
pub(crate) struct ScanTarget<'a> {
    /// The host name (SNI, certificate name).
    pub(crate) name: &'a str,
    /// The relay port on 127.0.0.1.
    pub(crate) port: u16,
    /// Where our probe's port-80 check goes.
    pub(crate) http_port: u16,
    /// The test PKI's root.
    pub(crate) ca_file: &'a Path,
    /// A fresh file the tool may write its machine-readable output to.
    pub(crate) json_out: &'a Path,
}

/// The arguments of one scan.
pub(crate) fn arguments(tool: Tool, t: &ScanTarget<'_>, probe_extra: &[String]) -> Vec<String> {
    let name = t.name;
    let port = t.port;
    let ca = t.ca_file.display().to_string();
    let mut args: Vec<String> = match tool {
        Tool::Probe => vec![
            "scan".into(),
            name.into(),
            "--connect-to".into(),
            format!("{name}:443:127.0.0.1:{port}"),
            "--connect-to".into(),
            format!("{name}:80:127.0.0.1:{}", t.http_port),
            "--ca-file".into(),
            ca,
            "--json".into(),
        ],
        Tool::Sslyze => {
            let mut args: Vec<String> = vec![
                "--quiet".into(),
                // Its compliance check against Mozilla's configurations opens no connection
                // but makes it exit 1 for every non-compliant server; and with the check off,
                // no scan command runs unless named: so name them all (its default set).
                "--mozilla_config=disable".into(),
            ];
            args.extend(SSLYZE_COMMANDS.iter().map(|c| format!("--{c}")));
            args.extend([
                format!("--json_out={}", t.json_out.display()),
                format!("--certinfo_ca_file={ca}"),
                format!("{name}:{port}{{127.0.0.1}}"),
            ]);
            args
        }
        Tool::Nmap => vec![
            "-Pn".into(),
            "-n".into(),
            "--script".into(),
            "ssl-enum-ciphers,ssl-heartbleed,ssl-ccs-injection,ssl-poodle,sslv2-drown".into(),
            "--script-args".into(),
            format!("tls.servername={name}"),
            "-p".into(),
            port.to_string(),
            "127.0.0.1".into(),
        ],
        Tool::Sslscan => vec![
            "--no-colour".into(),
            "--show-sigs".into(),
            format!("--sni-name={name}"),
            format!("127.0.0.1:{port}"),
        ],
        Tool::Testssl => vec![
            "--quiet".into(),
            "--warnings".into(),
            "off".into(),
            "--color".into(),
            "0".into(),
            "--nodns".into(),
            "none".into(),
            "--ip".into(),
            "127.0.0.1".into(),
            "--add-ca".into(),
            ca,
            "--openssl".into(),
            "/usr/bin/openssl".into(),
            "--jsonfile".into(),
            t.json_out.display().to_string(),
            format!("{name}:{port}"),
        ],
    };
    if tool == Tool::Probe {
        args.extend(probe_extra.iter().cloned());
    }
    args
}

/// The command line with this run's particulars replaced by the names RESULTS.md explains:
/// `RELAY` (the relay's port), `HTTP` (the port-80 stand-in), `ROOT` (the test root),
/// `OUT.json` (the tool's JSON output).
pub(crate) fn generic_command(tool: Tool, t: &ScanTarget<'_>, probe_extra: &[String]) -> String {
    let program = match tool {
        Tool::Probe => "target/release/probe-server",
        Tool::Testssl => "testssl",
        other => other.name(),
    };
    let port = t.port.to_string();
    let http = format!(":{}", t.http_port);
    let root = t.ca_file.display().to_string();
    let out = t.json_out.display().to_string();
    let args: Vec<String> = arguments(tool, t, probe_extra)
        .into_iter()
        .map(|a| {
            let a = a.replace(&root, "ROOT").replace(&out, "OUT.json");
            let a = a.replace(&http, ":HTTP");
            if a == port {
                "RELAY".into()
            } else {
                a.replace(&format!(":{port}"), ":RELAY")
            }
        })
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@{}".contains(c))
            {
                a
            } else {
                format!("'{a}'")
            }
        })
        .collect();
    format!("{program} {}", args.join(" "))
}

/// How a bounded run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    Exited(ExitStatus),
    /// Killed at the time limit.
    TimedOut,
    /// Killed because the bench was interrupted.
    Interrupted,
}

/// One finished run of a program.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) ending: Ending,
    pub(crate) wall: Duration,
}

/// Runs `program args` in a process group of its own, stdout and stderr to files, for at most
/// `limit`; kills the whole group at the limit or when `interrupted` is set.
pub(crate) fn run_bounded(
    program: &Path,
    args: &[String],
    stdout: &Path,
    stderr: &Path,
    limit: Duration,
    interrupted: &AtomicBool,
) -> Result<Finished, String> {
    let out = File::create(stdout).map_err(|e| format!("create {}: {e}", stdout.display()))?;
    let err = File::create(stderr).map_err(|e| format!("create {}: {e}", stderr.display()))?;
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let pid = child.id();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let wall = started.elapsed();
                // Helpers the tool left behind (same group) go too.
                kill_group(pid);
                return Ok(Finished {
                    ending: Ending::Exited(status),
                    wall,
                });
            }
            Ok(None) => {}
            Err(e) => {
                kill_group(pid);
                let _ = child.wait();
                return Err(format!("waiting for {}: {e}", program.display()));
            }
        }
        let ending = if interrupted.load(Ordering::SeqCst) {
            Some(Ending::Interrupted)
        } else if started.elapsed() >= limit {
            Some(Ending::TimedOut)
        } else {
            None
        };
        if let Some(ending) = ending {
            let wall = started.elapsed();
            kill_group(pid);
            let _ = child.wait();
            return Ok(Finished { ending, wall });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// SIGKILL to the process group `pgid` (one we created with `process_group(0)`).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// Whether the exit status means the tool completed its scan.
pub(crate) fn scan_completed(tool: Tool, status: ExitStatus) -> bool {
    match (tool, status.code()) {
        // 0 A+/A/A-, 4 B–E, 5 F, 6 T/M: a report was written. 3 = the scan failed.
        (Tool::Probe, Some(code)) => matches!(code, 0 | 4 | 5 | 6),
        // testssl.sh's exit code counts findings of high severity; only its own errors
        // (>= 242) say the run failed.
        (Tool::Testssl, Some(code)) => code < 242,
        (_, Some(code)) => code == 0,
        (_, None) => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use super::*;

    #[test]
    fn strips_colour_codes() {
        assert_eq!(strip_ansi("\u{1b}[1;34m2.0.7\u{1b}[0m x"), "2.0.7 x");
    }

    #[test]
    fn a_run_over_its_limit_is_killed_with_its_children() {
        let dir = std::env::temp_dir();
        let never = AtomicBool::new(false);
        let finished = run_bounded(
            Path::new("/bin/sh"),
            &["-c".into(), "sleep 30 & sleep 30".into()],
            &dir.join("xtask-bench-test.out"),
            &dir.join("xtask-bench-test.err"),
            Duration::from_millis(200),
            &never,
        )
        .unwrap();
        assert_eq!(finished.ending, Ending::TimedOut);
        assert!(finished.wall < Duration::from_secs(5));
    }

    #[test]
    fn an_interrupt_kills_the_run() {
        let dir = std::env::temp_dir();
        let interrupted = AtomicBool::new(true);
        let finished = run_bounded(
            Path::new("/bin/sleep"),
            &["30".into()],
            &dir.join("xtask-bench-test2.out"),
            &dir.join("xtask-bench-test2.err"),
            Duration::from_secs(60),
            &interrupted,
        )
        .unwrap();
        assert_eq!(finished.ending, Ending::Interrupted);
    }
}
