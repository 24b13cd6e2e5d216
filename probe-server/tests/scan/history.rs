//! `scan --data-dir` keeps every full scan; `history HOST` reads them back.

use std::process::Output;

use testbed::{HttpAnswer, LeafSpec, TestPki};

use crate::support::{Site, good_spec};

async fn run(args: &[String]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_probe-server"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PROBE_DATA_DIR")
        .env_remove("PROBE_DATABASE")
        .output()
        .await
        .expect("run probe-server")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn full_scans_are_kept_and_history_shows_them_newest_first() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("kept.test"));
    let site = Site::start(
        "kept.test",
        good_spec(&pki, &leaf),
        Some(HttpAnswer::redirect("https://kept.test/")),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let mut scan = vec![
        "scan".to_owned(),
        "kept.test".into(),
        "--ca-file".into(),
        pki.root_pem().display().to_string(),
        "--data-dir".into(),
        data_dir.clone(),
    ];
    for rule in site.rules() {
        scan.push("--connect-to".into());
        scan.push(rule);
    }
    let mut quick = scan.clone();
    quick.push("--quick".into());
    for args in [&scan, &scan, &quick] {
        let out = run(args).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    }

    let history = |extra: &[&str]| {
        let mut args = vec![
            "history".to_owned(),
            "kept.test".into(),
            "--data-dir".into(),
            data_dir.clone(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let out = run(&history(&["--json"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let entries: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        entries.len(),
        2,
        "two full scans; the quick one is not history"
    );
    assert!(
        entries[0]["id"].as_i64() > entries[1]["id"].as_i64(),
        "newest first"
    );
    for entry in &entries {
        assert_eq!(entry["grade"], "A+");
        assert_eq!(entry["port"], 443);
        assert_eq!(entry["leaf_sha256"].as_str().unwrap().len(), 64, "{entry}");
        assert_eq!(entry["endpoints"][0]["ip"], "127.0.0.1");
    }
    let out = run(&history(&["--port", "443"])).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(stdout.lines().count(), 3, "a header and two rows: {stdout}");
    assert!(stdout.lines().nth(1).unwrap().contains("A+"), "{stdout}");

    let out = run(&history(&["--port", "8443", "--json"])).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));

    let out = run(&[
        "history".into(),
        "kept.test".into(),
        "--database".into(),
        "mysql://db/x".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("postgres://"),
        "{}",
        text(&out.stderr)
    );
}
