//! `probe-server serve` as an operator runs it: help, layered settings, JSON logs, SIGTERM.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::CommandFactory;
use probe_server::cli::Cli;
use shared::ErrorCode;
use testbed::TestPki;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{SlowRelay, error_of, good_server};

/// A `probe-server serve` process, its address, and its log lines so far.
pub(crate) struct Served {
    pub(crate) child: Child,
    address: SocketAddr,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Served {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub(crate) fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// SIGTERM, then the exit status (within `limit`).
    pub(crate) async fn terminate(mut self, limit: Duration) -> Option<i32> {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(limit, self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap();
        exit.code()
    }
}

pub(crate) fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_probe-server"));
    command.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("PROBE_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    // `serve` keeps its history in the user's data home by default: give it one of its own,
    // so that no test writes into the home of whoever runs the suite.
    static DATA_HOME: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let data_home = DATA_HOME.get_or_init(|| tempfile::tempdir().expect("a temp dir"));
    command.env("XDG_DATA_HOME", data_home.path());
    command.envs(env.iter().copied());
    command
}

/// Starts `serve` on a free port with JSON logs, and waits until it listens.
pub(crate) async fn serve(args: &[&str], env: &[(&str, &str)]) -> Served {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--log-format", "json"];
    all.extend_from_slice(args);
    let mut child = command(&all, env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let logs = Arc::new(Mutex::new(Vec::new()));
    let address = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            logs.lock().unwrap().push(line.clone());
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                panic!("a log line that is not JSON: {line}");
            };
            if event["message"] == "probe server listening" {
                return event["address"]
                    .as_str()
                    .unwrap()
                    .parse::<SocketAddr>()
                    .unwrap();
            }
        }
        panic!("serve ended: {:?}", logs.lock().unwrap());
    })
    .await
    .expect("serve starts");
    let sink = logs.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    Served {
        child,
        address,
        logs,
    }
}

#[test]
fn every_serve_option_has_an_env_var_a_default_and_a_line_in_the_docs() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/probe-server.toml"
    ))
    .unwrap();
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").unwrap();
    let mut checked = 0;
    for arg in serve.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" {
            continue;
        }
        checked += 1;
        let env = arg
            .get_env()
            .unwrap_or_else(|| panic!("--{long} has no environment variable"))
            .to_string_lossy()
            .into_owned();
        let help = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        if long != "config" {
            assert!(
                help.contains("[default:"),
                "--{long}'s help names no default: {help}"
            );
            let key = long.replace('-', "_");
            assert!(
                example.contains(&format!("{key} =")),
                "deploy/probe-server.toml lacks {key}"
            );
        }
        assert!(
            docs.contains(&format!("`--{long}")),
            "README lacks --{long}"
        );
        assert!(docs.contains(&format!("`{env}`")), "README lacks {env}");
    }
    assert!(checked >= 30, "{checked}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_example_config_starts() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/probe-server.toml");
    let served = serve(&["--config", example], &[]).await;
    let client = reqwest::Client::new();
    // It names the proxy's public name as the Host to serve.
    let ready = client
        .get(served.url("/readyz"))
        .header("Host", "probe.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let other = client.get(served.url("/readyz")).send().await.unwrap();
    assert_eq!(other.status(), 403);
    assert_eq!(served.terminate(Duration::from_secs(10)).await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_layer_file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("probe.toml");
    std::fs::write(
        &file,
        "max_scans = 3\nqueue = 7\ntoken = \"file-token-0123456789\"\ncache_ttl = 5\n",
    )
    .unwrap();
    let file = file.display().to_string();
    let served = serve(
        &["--config", &file, "--max-scans", "2"],
        &[("PROBE_QUEUE", "9")],
    )
    .await;
    let client = reqwest::Client::new();
    let metrics =
        |token: &'static str| client.get(served.url("/metrics")).bearer_auth(token).send();
    let (status, error) = error_of(client.get(served.url("/metrics")).send().await.unwrap()).await;
    assert_eq!(
        (status, error.error),
        (401, ErrorCode::Unauthorized),
        "the file's token"
    );
    let text = metrics("file-token-0123456789")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("probe_scan_slots 2"),
        "the flag wins:\n{text}"
    );
    assert!(
        text.contains("probe_queue_capacity 9"),
        "the environment wins:\n{text}"
    );

    // The server's own rules: a private target is refused.
    let response = client
        .get(served.url("/api/v1/probe?host=169.254.169.254"))
        .bearer_auth("file-token-0123456789")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (403, ErrorCode::TargetForbidden));
    let logs = served.logs();
    assert!(
        logs.iter()
            .any(|l| l.contains("\"message\":\"request\"") && l.contains("\"status\":403")),
        "{logs:?}"
    );
    assert!(
        logs.iter().all(|l| !l.contains("file-token")),
        "tokens are never logged"
    );
    assert_eq!(served.terminate(Duration::from_secs(10)).await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_exit_2_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let misspelt = dir.path().join("misspelt.toml");
    std::fs::write(&misspelt, "max_scan = 3\n").unwrap();
    let misspelt = misspelt.display().to_string();
    for (args, env, needle) in [
        (
            vec!["--config", "/nonexistent/probe.toml"],
            vec![],
            "cannot read",
        ),
        (vec!["--config", misspelt.as_str()], vec![], "max_scan"),
        (vec!["--max-scans", "0"], vec![], "--max-scans"),
        (vec!["--allow-port", "ssh"], vec![], "ssh"),
        (vec![], vec![("PROBE_TIMEOUT", "-1")], "--timeout"),
        (
            vec![],
            vec![("PROBE_CLIENT_STREAMS", "lots")],
            "--client-streams",
        ),
        (
            vec!["--first-byte-timeout", "0"],
            vec![],
            "--first-byte-timeout",
        ),
        (
            vec!["--client-scans-in-flight=-1"],
            vec![],
            "client-scans-in-flight",
        ),
        (
            vec!["--token", "a", "--token-file", "/etc/hostname"],
            vec![],
            "not both",
        ),
    ] {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend(args.iter().copied());
        let out = command(&all, &env).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_probe_off_loopback_does_not_start() {
    // Refused before anything is bound (the addresses are never listened on).
    for (args, env, needle) in [
        (vec!["--listen", "192.0.2.10:7443"], vec![], "--no-token"),
        (
            vec![],
            vec![("PROBE_LISTEN", "[2001:db8::10]:7443")],
            "--no-token",
        ),
        (
            vec!["--listen", "192.0.2.10:7443", "--no-token=false"],
            vec![],
            "--no-token",
        ),
        (
            vec!["--listen", "0.0.0.0:7443", "--no-token"],
            vec![],
            "--allowed-host",
        ),
        (
            vec![
                "--listen",
                "192.0.2.10:7443",
                "--no-token",
                "--token-file",
                "/etc/hostname",
            ],
            vec![],
            "not both",
        ),
    ] {
        let mut all = vec!["serve"];
        all.extend(args.iter().copied());
        let out = command(&all, &env).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?} {env:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_scan_in_flight_then_exits_0() {
    let pki = TestPki::new();
    let server = good_server(&pki, "term.test").await;
    let relay = SlowRelay::start(server.addr(), Duration::from_millis(400)).await;
    let rule = format!("term.test:443:127.0.0.1:{}", relay.port);
    let root = pki.root_pem().display().to_string();
    let served = serve(
        &["--allow-private", "--ca-file", &root, "--connect-to", &rule],
        &[],
    )
    .await;
    let client = reqwest::Client::new();
    let url = served.url("/api/v1/probe?host=term.test&quick=1");
    let request = tokio::spawn({
        let client = client.clone();
        async move { client.get(url).send().await }
    });
    let started = std::time::Instant::now();
    while relay.connections() == 0 {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let logs = served.logs.clone();
    let exit = served.terminate(Duration::from_secs(30)).await;
    let response = request.await.unwrap().expect("answered, not cut off");
    assert_eq!(response.status(), 200);
    let report: shared::Report = response.json().await.unwrap();
    assert!(report.trust.trusted);
    assert_eq!(exit, Some(0));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = logs.lock().unwrap().clone();
    for message in ["SIGTERM", "stopped"] {
        assert!(
            logs.iter()
                .any(|l| l.contains(&format!("\"message\":\"{message}"))),
            "{message}: {logs:?}"
        );
    }
}
