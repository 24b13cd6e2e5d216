//! The probe is neither floodable nor a flood tool: a cap on scans in flight with a bounded
//! queue (503), and rate limits per client, per target and for refreshes (429), each with a
//! Retry-After.

use std::time::Duration;

use shared::ErrorCode;
use testbed::TestPki;

use crate::helpers::{AppSpec, Tarpit, TestApp, closed_port, error_of, spawn_app};

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}

/// Polls `/readyz` until `in_flight` scans run and `queued` wait (at most 5 s).
async fn wait_for_load(app: &TestApp, in_flight: u64, queued: u64) {
    for _ in 0..250 {
        let body: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
        if body["scans_in_flight"] == in_flight && body["queued"] == queued {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never reached {in_flight} in flight and {queued} queued");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_queue_is_503_with_retry_after() {
    let pki = TestPki::new();
    let tarpit = Tarpit::start().await;
    let mut spec = AppSpec::new(&pki).unlimited();
    // Every name goes to the tarpit: each scan holds its slot until the scan timeout.
    spec.connect_to = vec![format!("::127.0.0.1:{}", tarpit.port)];
    spec.scan_timeout = Duration::from_secs(2);
    spec.limits.max_scans = 1;
    spec.limits.queue = 1;
    spec.limits.queue_wait = Duration::from_secs(10);
    let app = std::sync::Arc::new(spawn_app(spec).await);

    let first = tokio::spawn({
        let app = app.clone();
        async move { app.get("/api/v1/probe?host=a.test").await.status() }
    });
    wait_for_load(&app, 1, 0).await;
    let second = tokio::spawn({
        let app = app.clone();
        async move { app.get("/api/v1/probe?host=b.test").await.status() }
    });
    wait_for_load(&app, 1, 1).await;

    let response = app.get("/api/v1/probe?host=c.test").await;
    let wait = retry_after(&response);
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (503, ErrorCode::Overloaded));
    assert!(error.message.contains("capacity"), "{}", error.message);
    // A request for a target already being scanned joins it: no slot needed.
    let joined = tokio::spawn({
        let app = app.clone();
        async move { app.get("/api/v1/probe?host=a.test").await.status() }
    });

    assert_eq!(first.await.unwrap(), 504);
    assert_eq!(joined.await.unwrap(), 504);
    assert_eq!(
        second.await.unwrap(),
        504,
        "the queued scan ran once a slot was free"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("probe_refusals_total{reason=\"overloaded\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("probe_scans_total{outcome=\"timeout\"} 2"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_that_waits_too_long_in_the_queue_is_503() {
    let pki = TestPki::new();
    let tarpit = Tarpit::start().await;
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.connect_to = vec![format!("::127.0.0.1:{}", tarpit.port)];
    spec.scan_timeout = Duration::from_secs(3);
    spec.limits.max_scans = 1;
    spec.limits.queue = 4;
    spec.limits.queue_wait = Duration::from_millis(300);
    let app = std::sync::Arc::new(spawn_app(spec).await);
    let first = tokio::spawn({
        let app = app.clone();
        async move { app.get("/api/v1/probe?host=a.test").await.status() }
    });
    wait_for_load(&app, 1, 0).await;
    let started = std::time::Instant::now();
    let response = app.get("/api/v1/probe?host=b.test").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(response.headers().contains_key("retry-after"));
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (503, ErrorCode::Overloaded));
    assert!(
        error.message.contains("waited too long"),
        "{}",
        error.message
    );
    assert_eq!(first.await.unwrap(), 504);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_client_has_a_scan_rate() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.limits.client_scans_per_minute = 2;
    // Every name connects to a closed port: quick 502s.
    spec.connect_to = vec![format!("::127.0.0.1:{}", closed_port())];
    spec.access.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let app = spawn_app(spec).await;
    for host in ["a.test", "b.test"] {
        let (status, _) = error_of(app.get(&format!("/api/v1/probe?host={host}")).await).await;
        assert_eq!(status, 502);
    }
    let response = app.get("/api/v1/probe?host=c.test").await;
    let wait = retry_after(&response);
    assert!((29..=31).contains(&wait), "{wait}");
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
    assert!(error.message.contains("this client"), "{}", error.message);

    // Answers from the cache cost nothing.
    let (status, _) = error_of(app.get("/api/v1/probe?host=a.test").await).await;
    assert_eq!(status, 502);
    // Another client (named by the trusted proxy in front) has its own allowance.
    let (status, _) = error_of(
        app.get_with(
            "/api/v1/probe?host=c.test",
            &[("X-Forwarded-For", "198.51.100.20")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 502);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("probe_cache_hits_total 1"), "{metrics}");
    assert!(
        metrics.contains("probe_refusals_total{reason=\"client_rate_limited\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_is_not_scanned_too_often_and_refreshes_are_limited() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.limits.target_scans_per_minute = 2;
    spec.limits.refreshes_per_minute = 1;
    spec.connect_to = vec![format!("::127.0.0.1:{}", closed_port())];
    spec.access.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let app = spawn_app(spec).await;
    let from = |client: &'static str| [("X-Forwarded-For", client)];

    let (status, _) = error_of(
        app.get_with("/api/v1/probe?host=t.test", &from("198.51.100.1"))
            .await,
    )
    .await;
    assert_eq!(status, 502);
    // A refresh from a second client: a new scan (the target's second this minute).
    let (status, _) = error_of(
        app.get_with("/api/v1/probe?host=t.test&refresh=1", &from("198.51.100.2"))
            .await,
    )
    .await;
    assert_eq!(status, 502);
    // The second client's second refresh: over its refresh allowance.
    let response = app
        .get_with("/api/v1/probe?host=t.test&refresh=1", &from("198.51.100.2"))
        .await;
    assert!(retry_after(&response) >= 1);
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
    assert!(error.message.contains("refreshes"), "{}", error.message);
    // A third client's refresh: over the target's allowance, whoever asks.
    let response = app
        .get_with("/api/v1/probe?host=t.test&refresh=1", &from("198.51.100.3"))
        .await;
    let wait = retry_after(&response);
    assert!((29..=31).contains(&wait), "{wait}");
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
    assert!(error.message.contains("too often"), "{}", error.message);
    // Without refresh the cached answer is still served.
    let (status, _) = error_of(
        app.get_with("/api/v1/probe?host=t.test", &from("198.51.100.3"))
            .await,
    )
    .await;
    assert_eq!(status, 502);
}

#[tokio::test(flavor = "multi_thread")]
async fn junk_in_x_forwarded_for_does_not_put_a_client_in_the_proxys_bucket() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.limits.client_scans_per_minute = 1;
    spec.connect_to = vec![format!("::127.0.0.1:{}", closed_port())];
    // Two proxies in front, both on loopback.
    spec.access.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let app = spawn_app(spec).await;
    // The proxy's own request uses the proxy's allowance.
    let (status, _) = error_of(app.get("/api/v1/probe?host=a.test").await).await;
    assert_eq!(status, 502);
    // A client behind the second proxy (which named it 127.0.0.5) that sent junk of its own:
    // its own allowance, not the proxy's spent one.
    let (status, _) = error_of(
        app.get_with(
            "/api/v1/probe?host=b.test",
            &[("X-Forwarded-For", "not-an-address, 127.0.0.5")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 502, "counted as 127.0.0.5");
    // And the junk does not let it move into yet another bucket.
    let (status, error) = error_of(
        app.get_with(
            "/api/v1/probe?host=c.test",
            &[("X-Forwarded-For", "more-junk, 127.0.0.5")],
        )
        .await,
    )
    .await;
    assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dual_stack_listener_trusts_its_ipv4_proxy() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.limits.client_scans_per_minute = 1;
    spec.connect_to = vec![format!("::127.0.0.1:{}", closed_port())];
    spec.access.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    spec.access.allowed_hosts = vec!["127.0.0.1".into()];
    // [::]: the proxy at 127.0.0.1 is seen as ::ffff:127.0.0.1.
    spec.listen = "[::]:0".parse().unwrap();
    let app = spawn_app(spec).await;
    for (client, host) in [("198.51.100.9", "a.test"), ("198.51.100.10", "b.test")] {
        let (status, _) = error_of(
            app.get_with(
                &format!("/api/v1/probe?host={host}"),
                &[("X-Forwarded-For", client)],
            )
            .await,
        )
        .await;
        assert_eq!(status, 502, "{client} has its own allowance");
    }
    let (status, _) = error_of(
        app.get_with(
            "/api/v1/probe?host=c.test",
            &[("X-Forwarded-For", "198.51.100.9")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 429, "and uses it");
}
