//! `scan --targets`: many targets from a file or standard input against real local servers,
//! one result per line of input, and the worst verdict as the exit status.

use std::collections::BTreeMap;
use std::process::{Output, Stdio};

use testbed::{HttpAnswer, LeafSpec, TestPki};
use tokio::io::AsyncWriteExt as _;

use crate::support::{Site, closed_port, good_spec};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `scan --targets FILE` with the sites' rules and the test CA.
fn bulk_args(pki: &TestPki, sites: &[&Site], targets: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "scan".to_owned(),
        "--targets".into(),
        targets.into(),
        "--ca-file".into(),
        pki.root_pem().display().to_string(),
    ];
    for site in sites {
        for rule in site.rules() {
            args.push("--connect-to".into());
            args.push(rule);
        }
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

async fn run(args: &[String], stdin: Option<&str>) -> Output {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_probe-server"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run probe-server");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).await.unwrap();
        drop(pipe);
    }
    child.wait_with_output().await.unwrap()
}

/// The JSON Lines by line number.
fn records(out: &Output) -> BTreeMap<u64, serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
            (v["line"].as_u64().unwrap(), v)
        })
        .collect()
}

async fn good_and_expired(pki: &TestPki) -> (Site, Site) {
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let good = Site::start(
        "good.test",
        good_spec(pki, &leaf),
        Some(HttpAnswer::redirect("https://good.test/")),
    )
    .await;
    let expired = pki.leaf(&LeafSpec::expired("old.test", 3));
    let old = Site::start("old.test", good_spec(pki, &expired), None).await;
    (good, old)
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lines_give_every_line_its_result_and_the_worst_verdict_is_the_status() {
    let pki = TestPki::new();
    let (good, old) = good_and_expired(&pki).await;
    let dir = tempfile::tempdir().unwrap();
    let closed = closed_port();
    let file = dir.path().join("targets.txt");
    std::fs::write(
        &file,
        format!("good.test\n# a comment\n\n  old.test  \nexa mple.com\n127.0.0.1:{closed}\n"),
    )
    .unwrap();
    let path = file.display().to_string();
    let out = run(
        &bulk_args(&pki, &[&good, &old], &path, &["--json", "--parallel", "2"]),
        None,
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad line is the worst: {stderr}"
    );
    let records = records(&out);
    assert_eq!(
        records.keys().copied().collect::<Vec<_>>(),
        vec![1, 4, 5, 6],
        "one record per target line, none for the comment and the blank line"
    );
    assert_eq!(records[&1]["status"], "ok");
    assert_eq!(records[&1]["grade"], "A+");
    assert_eq!(records[&1]["exit"], 0);
    let report: shared::Report = serde_json::from_value(records[&1]["report"].clone()).unwrap();
    assert_eq!(report.target.host, "good.test");
    assert_eq!(report.scan_mode, shared::ScanMode::Full);
    assert_eq!(records[&4]["input"], "old.test");
    assert_eq!(records[&4]["grade"], "T");
    assert_eq!(records[&4]["exit"], 6);
    assert_eq!(records[&5]["status"], "invalid");
    assert!(
        records[&5]["error"].as_str().unwrap().contains("spaces"),
        "{}",
        records[&5]
    );
    assert_eq!(records[&6]["status"], "failed");
    assert_eq!(records[&6]["exit"], 3);
    assert!(
        records[&6]["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{}",
        records[&6]
    );
    assert!(stderr.contains("4 targets"), "the summary: {stderr}");

    // Without the bad line the failed scan is the worst; without it, the untrusted site.
    std::fs::write(&file, format!("good.test\nold.test\n127.0.0.1:{closed}\n")).unwrap();
    let out = run(
        &bulk_args(&pki, &[&good, &old], &path, &["--json", "--quick"]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(self::records(&out).len(), 3);
    std::fs::write(&file, "good.test\nold.test\n").unwrap();
    let out = run(
        &bulk_args(&pki, &[&good, &old], &path, &["--json", "--quick"]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_input_gives_a_table_with_a_summary() {
    let pki = TestPki::new();
    let (good, old) = good_and_expired(&pki).await;
    let out = run(
        &bulk_args(&pki, &[&good, &old], "-", &["--quick"]),
        Some("good.test\nold.test:443\n"),
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].contains("TARGET") && lines[0].contains("GRADE"),
        "{stdout}"
    );
    let row = |host: &str| {
        lines
            .iter()
            .find(|l| l.contains(host))
            .unwrap_or_else(|| panic!("no row for {host}: {stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(row("good.test:443")[2], "A+", "{stdout}");
    assert_eq!(row("old.test:443")[2], "T", "{stdout}");
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with("2 targets")
            && summary.contains("1 good")
            && summary.contains("1 untrusted"),
        "{summary}"
    );
    assert!(
        text(&out.stderr).is_empty(),
        "no progress bar off a terminal: {}",
        text(&out.stderr)
    );
}

/// A thousand lines go through sixteen slots: each gets its record, the good site's
/// repeats are really scanned, and no line is lost.
#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_targets_stream_through_bounded_parallelism() {
    let pki = TestPki::new();
    let (good, old) = good_and_expired(&pki).await;
    let closed = closed_port();
    let mut input = String::new();
    for i in 0..1000u32 {
        if i % 100 == 0 {
            input.push_str("good.test\n");
        } else {
            // Refused at once: distinct loopback hosts, so the per-host cap does not serialise.
            input.push_str(&format!("127.0.{}.{}:{closed}\n", i / 250, i % 250 + 1));
        }
    }
    let out = run(
        &bulk_args(
            &pki,
            &[&good, &old],
            "-",
            &["--json", "--quick", "--parallel", "16", "--per-host", "2"],
        ),
        Some(&input),
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let records = records(&out);
    assert_eq!(records.len(), 1000);
    assert_eq!(records.keys().copied().max(), Some(1000));
    let ok = records.values().filter(|r| r["status"] == "ok").count();
    assert_eq!(ok, 10);
    assert!(
        good.tls.connections() >= 10,
        "each repeat is a scan: {}",
        good.tls.connections()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_lists_and_bounds_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing\n\n").unwrap();
    let empty = empty.display().to_string();
    for (args, needle) in [
        (
            vec!["scan", "--targets", "/nonexistent/list"],
            "cannot read the targets",
        ),
        (vec!["scan", "--targets", &empty], "no targets"),
        (
            vec!["scan", "--targets", &empty, "--parallel", "0"],
            "--parallel",
        ),
        (
            vec![
                "scan",
                "--targets",
                &empty,
                "--parallel",
                "2",
                "--per-host",
                "3",
            ],
            "--per-host",
        ),
        (
            vec!["scan", "--targets", &empty, "good.test"],
            "cannot be used",
        ),
        (vec!["scan", "127.0.0.1:1", "--parallel", "2"], "--targets"),
    ] {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let out = run(&args, None).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}
