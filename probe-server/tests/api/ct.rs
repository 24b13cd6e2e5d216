//! `serve --ct-log-list`: the served probe knows a test log besides the bundled list, and
//! refuses to start on a list it cannot use.

use std::sync::Arc;
use std::time::Duration;

use shared::{SctSignature, SctSource};
use testbed::ct::log_list_json;
use testbed::{EmbeddedSct, HttpAnswer, LeafSpec, TestCtLog, TestPki, TlsServer, TlsServerSpec};

use crate::cli::{command, serve};

#[tokio::test(flavor = "multi_thread")]
async fn a_served_probe_with_an_extra_log_list_verifies_an_sct_from_that_log() {
    let pki = TestPki::new();
    let log = Arc::new(TestCtLog::new("Test Served Log", "Test Operator"));
    let leaf = pki.leaf(&LeafSpec {
        embedded_scts: vec![EmbeddedSct {
            log: log.clone(),
            tamper: false,
        }],
        ..LeafSpec::valid("served-ct.test")
    });
    let mut spec = TlsServerSpec::new(&leaf, &[pki.intermediate_der()]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000");
    let server = TlsServer::start(spec).await;
    let log_list = pki.dir().join("served-ct-log-list.json");
    std::fs::write(&log_list, log_list_json(&[&log])).unwrap();
    let log_list = log_list.display().to_string();
    let root = pki.root_pem().display().to_string();
    let rule = format!("served-ct.test:443:127.0.0.1:{}", server.addr().port());
    let client = reqwest::Client::new();

    // The same server, scanned by a probe without the list and by one with it (given once
    // as a flag and once in the environment): only the latter knows the log.
    let without = ["--allow-private", "--ca-file", &root, "--connect-to", &rule];
    let with_flag = [&without[..], &["--ct-log-list", &log_list]].concat();
    for (args, env, known) in [
        (&without[..], vec![], false),
        (&with_flag[..], vec![], true),
        (
            &without[..],
            vec![("PROBE_CT_LOG_LIST", log_list.as_str())],
            true,
        ),
    ] {
        let served = serve(args, &env).await;
        let response = client
            .get(served.url("/api/v1/probe?host=served-ct.test&quick=1"))
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{args:?} {env:?}");
        let report: shared::Report = response.json().await.unwrap();
        let ct = report.ct.as_ref().expect("a CT section");
        let seen: Vec<_> = ct
            .scts
            .iter()
            .map(|s| (s.source, s.log_name.as_deref(), s.signature))
            .collect();
        let expected = if known {
            (
                SctSource::Embedded,
                Some("Test Served Log"),
                SctSignature::Valid,
            )
        } else {
            (SctSource::Embedded, None, SctSignature::UnknownLog)
        };
        assert_eq!(seen, [expected], "{args:?} {env:?}: {:#?}", report.errors);
        let bundled = 20;
        assert_eq!(ct.log_list.logs, bundled + usize::from(known));
        assert_eq!(served.terminate(Duration::from_secs(30)).await, Some(0));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_malformed_ct_log_list_stops_the_start_with_exit_2() {
    let pki = TestPki::new();
    let malformed = pki.dir().join("not-a-log-list.json");
    std::fs::write(&malformed, "{\"operators\": 3}").unwrap();
    let malformed = malformed.display().to_string();
    let in_file = pki.dir().join("ct.toml");
    std::fs::write(&in_file, "ct_log_list = \"/nonexistent/ct-logs.json\"\n").unwrap();
    let in_file = in_file.display().to_string();
    for (args, env, needle) in [
        (
            vec!["--ct-log-list", "/nonexistent/ct-logs.json"],
            vec![],
            "cannot read /nonexistent/ct-logs.json",
        ),
        (
            vec![],
            vec![("PROBE_CT_LOG_LIST", malformed.as_str())],
            "not a CT log list",
        ),
        (
            vec!["--config", in_file.as_str()],
            vec![],
            "cannot read /nonexistent/ct-logs.json",
        ),
    ] {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend(args.iter().copied());
        let out = command(&all, &env).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains("--ct-log-list"), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
