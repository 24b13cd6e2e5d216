//! The `scan` command as a user runs it: output, JSON, and exit statuses.

use std::process::Output;

use testbed::{HttpAnswer, LeafSpec, TestPki};

use crate::support::{Site, closed_port, good_spec};

async fn run(args: &[String]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_probe-server"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run probe-server")
}

fn scan_args(pki: &TestPki, site: &Site, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "scan".to_owned(),
        site.name.clone(),
        "--ca-file".into(),
        pki.root_pem().display().to_string(),
    ];
    for rule in site.rules() {
        args.push("--connect-to".into());
        args.push(rule);
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_site_prints_its_grade_first_and_exits_0() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let site = Site::start(
        "good.test",
        good_spec(&pki, &leaf),
        Some(HttpAnswer::redirect("https://good.test/")),
    )
    .await;
    let out = run(&scan_args(&pki, &site, &[])).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let first = stdout.lines().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        first.contains("[A+]") && first.contains("good.test:443"),
        "{first}"
    );
    assert!(stdout.contains("Strong TLS."), "{stdout}");
    assert!(stdout.contains("TLSv1.3"), "{stdout}");
    assert!(
        stdout.contains("issued by Probe Test Intermediate"),
        "{stdout}"
    );
    assert!(stdout.contains("No findings."), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "NO_COLOR must turn colours off");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_is_the_report_and_the_exit_status_tells_the_verdict() {
    let pki = TestPki::new();
    let expired = pki.leaf(&LeafSpec::expired("old.test", 3));
    let site = Site::start("old.test", good_spec(&pki, &expired), None).await;
    let out = run(&scan_args(&pki, &site, &["--json"])).await;
    assert_eq!(
        out.status.code(),
        Some(6),
        "T exits 6: {}",
        text(&out.stderr)
    );
    let report: shared::Report = serde_json::from_slice(&out.stdout).expect("stdout is a report");
    assert_eq!(report.grade, shared::Grade::T);

    let leaf = pki.leaf(&LeafSpec::valid("nohsts.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.answer = HttpAnswer::ok();
    let site = Site::start("nohsts.test", spec, None).await;
    let out = run(&scan_args(&pki, &site, &[])).await;
    assert_eq!(out.status.code(), Some(0), "A- is still good");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[A-]") && stdout.contains("no-hsts") && stdout.contains("Fix:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Grade held at A- by: no-hsts (without it: A)"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_2_and_unreachable_servers_exit_3() {
    for (args, needle) in [
        (vec!["scan", "exa mple.com"], "spaces"),
        (vec!["scan", "good.test:99999"], "port"),
        (vec!["scan", "0x7f.1"], "127.0.0.1"),
        (
            vec!["scan", "good.test", "--connect-to", "nonsense"],
            "--connect-to",
        ),
        (
            vec!["scan", "good.test", "--ca-file", "/nonexistent.pem"],
            "CA file",
        ),
        (vec!["scan", "good.test", "--timeout=-1"], "timeout"),
    ] {
        let out = run(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let port = closed_port();
    let out = run(&["scan".into(), format!("127.0.0.1:{port}")]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("cannot connect"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out_within_the_budget() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold connections without a word (a tarpit).
    let tarpit = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = std::time::Instant::now();
    let out = run(&[
        "scan".into(),
        format!("127.0.0.1:{port}"),
        "--timeout".into(),
        "1.5".into(),
    ])
    .await;
    tarpit.abort();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("timed out"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
}

/// A 200 KB Certificate message (a leaf with 10 000 names) from `openssl s_server`: once
/// "not valid TLS (HandshakePayloadTooLarge)" and exit 3, now a report that says which
/// clients fail (T: the leaf is too large for webpki to verify, exit 6).
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_message_over_64_kib_is_a_report_not_a_failed_scan() {
    let pki = TestPki::new();
    let mut names = vec!["big.test".to_owned()];
    names.extend((0..10_000).map(|i| format!("host{i:05}.big.test")));
    let leaf = pki.leaf(&LeafSpec {
        names,
        ..LeafSpec::valid("big.test")
    });
    let server = tokio::task::spawn_blocking(move || {
        testbed::OpensslServer::builder(&leaf).start().unwrap()
    })
    .await
    .unwrap();
    let args: Vec<String> = [
        "scan".to_owned(),
        "big.test".to_owned(),
        "--ca-file".to_owned(),
        pki.root_pem().display().to_string(),
        "--connect-to".to_owned(),
        format!("big.test:443:127.0.0.1:{}", server.port()),
        "--connect-to".to_owned(),
        format!("big.test:80:127.0.0.1:{}", closed_port()),
    ]
    .into();
    let out = run(&args).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("cert-message-too-large"), "{stdout}");
    let first = stdout.lines().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        first.contains("[T]") && first.contains("big.test:443"),
        "{first}"
    );
}
