//! Fast answers: reports come from the cache until their TTL, `refresh=1` scans again, and
//! concurrent requests for one target share one scan.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use probe_server::target::address_policy::AddressPolicy;
use probe_server::target::resolve::StaticResolver;
use shared::Report;
use testbed::TestPki;

use crate::helpers::{AppSpec, SlowRelay, error_of, good_server, spawn_app};

fn loopback() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_are_cached_until_their_ttl_and_refresh_rescans() {
    let pki = TestPki::new();
    let server = good_server(&pki, "cached.test").await;
    let resolver = StaticResolver::new().with("cached.test", &[loopback()]);
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver.clone()));
    spec.cache.ttl = Duration::from_millis(1500);
    let app = spawn_app(spec).await;
    let url = format!("/api/v1/probe?host=cached.test&port={}", server.port());

    let response = app.get(&url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "miss");
    let first: Report = response.json().await.unwrap();
    let connections = server.connections();

    let response = app.get(&url).await;
    assert_eq!(response.headers()["x-cache"], "hit");
    assert!(response.headers().contains_key("age"));
    let cached: Report = response.json().await.unwrap();
    assert_eq!(cached, first, "the very same report");
    assert_eq!(server.connections(), connections, "no new connection");
    assert_eq!(resolver.lookups(), 1);

    let response = app.get(&format!("{url}&refresh=1")).await;
    assert_eq!(response.headers()["x-cache"], "miss");
    let refreshed: Report = response.json().await.unwrap();
    assert_ne!(refreshed.scanned_at, first.scanned_at);
    assert_eq!(resolver.lookups(), 2);

    tokio::time::sleep(Duration::from_millis(1600)).await;
    let response = app.get(&url).await;
    assert_eq!(response.headers()["x-cache"], "miss", "expired");
    assert_eq!(resolver.lookups(), 3);

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("probe_cache_hits_total 1"), "{metrics}");
    assert!(metrics.contains("probe_cache_misses_total 3"), "{metrics}");
    assert!(
        metrics.contains("probe_scans_total{outcome=\"ok\"} 3"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_share_one_scan() {
    let pki = TestPki::new();
    let server = good_server(&pki, "flight.test").await;
    // A slow site: each connection waits 300 ms, so the requests below overlap the scan.
    let relay = SlowRelay::start(server.addr(), Duration::from_millis(300)).await;
    let resolver = StaticResolver::new().with("flight.test", &[loopback()]);
    let mut spec = AppSpec::new(&pki);
    spec.resolver = Some(Arc::new(resolver.clone()));
    spec.policy = AddressPolicy::allow_all();
    spec.limits.client_scans_per_minute = 1;
    spec.limits.target_scans_per_minute = 1;
    let app = Arc::new(spawn_app(spec).await);
    // Quick scans: a few connections each, so the relay's delay stays short in sum.
    let url = format!("/api/v1/probe?host=flight.test&port={}&quick=1", relay.port);

    let requests: Vec<_> = (0..8)
        .map(|_| {
            let app = app.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let response = app.get(&url).await;
                let cache = response.headers()["x-cache"].to_str().unwrap().to_owned();
                let status = response.status().as_u16();
                let report: Report = response.json().await.unwrap();
                (status, cache, report.scanned_at)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }
    assert!(
        answers.iter().all(|(status, _, _)| *status == 200),
        "{answers:?}"
    );
    let misses = answers.iter().filter(|(_, c, _)| c == "miss").count();
    assert_eq!(misses, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(_, _, at)| *at == answers[0].2),
        "one report for all"
    );
    assert_eq!(resolver.lookups(), 1, "one scan");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("probe_scans_total{outcome=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        relay.connections() <= 6,
        "one quick scan's connections: {}",
        relay.connections()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_cached_briefly() {
    let pki = TestPki::new();
    let resolver = StaticResolver::new();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver.clone()));
    spec.cache.failure_ttl = Duration::from_millis(500);
    let app = spawn_app(spec).await;
    for _ in 0..3 {
        let (status, _) = error_of(app.get("/api/v1/probe?host=nowhere.test").await).await;
        assert_eq!(status, 502);
    }
    assert_eq!(resolver.lookups(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, _) = error_of(app.get("/api/v1/probe?host=nowhere.test").await).await;
    assert_eq!(status, 502);
    assert_eq!(resolver.lookups(), 2);
}
