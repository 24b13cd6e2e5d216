//! Operations: `/metrics`, `/readyz`, and a shutdown that finishes the scans in flight.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use probe_server::target::resolve::StaticResolver;
use shared::Report;
use testbed::TestPki;

use crate::helpers::{AppSpec, SlowRelay, good_server, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).public_only()).await;
    let _ = app.get("/api/v1/probe?host=10.0.0.1").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    for series in [
        "probe_scans_total",
        "probe_scan_duration_seconds_bucket",
        "probe_scan_duration_seconds_sum",
        "probe_cache_hits_total",
        "probe_cache_misses_total",
        "probe_singleflight_joins_total",
        "probe_refusals_total",
        "probe_http_responses_total",
        "probe_scans_in_flight",
        "probe_queue_depth",
        "probe_cache_entries",
        "probe_draining",
    ] {
        assert!(
            text.contains(&format!("# TYPE {series}"))
                || text.contains(&format!(
                    "# TYPE {}",
                    series.trim_end_matches("_bucket").trim_end_matches("_sum")
                )),
            "{series} missing:\n{text}"
        );
    }
    // Every sample line is NAME{labels} VALUE with a number.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
    assert!(text.contains("probe_refusals_total{reason=\"target_forbidden\"} 1"));
    assert!(text.contains("probe_http_responses_total{class=\"4xx\"} 1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_finishes_the_scans_in_flight() {
    let pki = TestPki::new();
    let server = good_server(&pki, "busy.test").await;
    // Each connection waits 400 ms: the scan is under way when the shutdown comes.
    let relay = SlowRelay::start(server.addr(), Duration::from_millis(400)).await;
    let resolver = StaticResolver::new().with("busy.test", &[IpAddr::from([127, 0, 0, 1])]);
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver));
    let app = spawn_app(spec).await;
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");

    let client = app.client.clone();
    let url = format!(
        "{}/api/v1/probe?host=busy.test&port={}",
        app.base, relay.port
    );
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    // Wait until the scan runs.
    let started = Instant::now();
    while relay.connections() == 0 {
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let base = app.base.clone();
    let client = app.client.clone();
    let stopping = tokio::spawn(app.stop());

    // The scan that was running finishes, and its client gets the report.
    let response = in_flight.await.unwrap().expect("answered, not cut off");
    assert_eq!(response.status(), 200);
    let report: Report = response.json().await.unwrap();
    assert!(report.trust.trusted);
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once the scan is done")
        .unwrap();

    // Nothing new is taken.
    let after = client.get(format!("{base}/readyz")).send().await;
    assert!(
        after.is_err() || after.unwrap().status() == 503,
        "no longer ready"
    );
}
