//! A client must not be able to take the probe from everyone else: each hole written as the
//! attack, through the real HTTP API.
//!
//! - a flood of tarpit targets (accept, never answer) from one client: it gets 429 past its
//!   cap on scans in flight, each tarpit scan ends in about the first-byte timeout, and a
//!   second client's scan of a good target still succeeds meanwhile;
//! - a target queued during overload: its 503 is the probe's state, not the target's
//!   outcome, and is not served from the cache afterwards;
//! - thirty wildcard names for one address: one target for the per-target limit;
//! - followers of one slow scan: capped in open streams.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use probe_server::target::address_policy::AddressPolicy;
use probe_server::target::resolve::StaticResolver;
use shared::{ErrorCode, Report};
use testbed::{Hostile, HostileServer, TestPki};

use crate::helpers::{AppSpec, closed_port, error_of, good_server, spawn_app, wait_for_readyz};

const FLOODER: &str = "198.51.100.66";
const NEIGHBOUR: &str = "198.51.100.7";

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tarpit_flood_from_one_client_leaves_the_probe_to_the_others() {
    let pki = TestPki::new();
    let tarpit = HostileServer::start(Hostile::Tarpit).unwrap();
    let good = good_server(&pki, "good.test").await;
    let mut spec = AppSpec::new(&pki).unlimited();
    // good.test is the good server; every other name is the tarpit.
    spec.connect_to = vec![
        format!("good.test:443:127.0.0.1:{}", good.port()),
        format!("::127.0.0.1:{}", tarpit.port()),
    ];
    spec.access.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    // Four slots and no queue: without the per-client cap the flood would take them all.
    spec.limits.max_scans = 4;
    spec.limits.queue = 0;
    spec.limits.client_scans_in_flight = 3;
    spec.scan_timeout = Duration::from_secs(20);
    let first_byte = Duration::from_secs(2);
    spec.first_byte = Some(first_byte);
    let app = Arc::new(spawn_app(spec).await);

    let started = Instant::now();
    let flood: Vec<_> = (1..=3)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let response = app
                    .get_with(
                        &format!("/api/v1/probe?host=t{i}.tarpit.test"),
                        &[("X-Forwarded-For", FLOODER)],
                    )
                    .await;
                (error_of(response).await, Instant::now())
            })
        })
        .collect();
    wait_for_readyz(&app, |r| r["scans_in_flight"] == 3).await;

    // Past its cap: 429 with Retry-After and a JSON error, no slot taken.
    for host in ["t4.tarpit.test", "t5.tarpit.test"] {
        let response = app
            .get_with(
                &format!("/api/v1/probe?host={host}"),
                &[("X-Forwarded-For", FLOODER)],
            )
            .await;
        assert!((1..=60).contains(&retry_after(&response)));
        let (status, error) = error_of(response).await;
        assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
        assert!(error.message.contains("in flight"), "{}", error.message);
    }
    // Joining one of its own scans again costs it nothing more.
    let again = tokio::spawn({
        let app = app.clone();
        async move {
            error_of(
                app.get_with(
                    "/api/v1/probe?host=t1.tarpit.test",
                    &[("X-Forwarded-For", FLOODER)],
                )
                .await,
            )
            .await
        }
    });

    // The neighbour's scan of a good site runs meanwhile, in the slot left.
    let response = app
        .get_with(
            "/api/v1/probe?host=good.test",
            &[("X-Forwarded-For", NEIGHBOUR)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let report: Report = response.json().await.unwrap();
    assert!(report.trust.trusted);

    // Each tarpit scan ends in about the first-byte timeout, with a clear timeout.
    for scan in flood {
        let ((status, error), finished) = scan.await.unwrap();
        assert_eq!((status, error.error), (504, ErrorCode::Timeout));
        assert!(error.message.contains("first byte"), "{}", error.message);
        assert!(!error.message.contains("127.0.0.1"), "{}", error.message);
        let took = finished - started;
        assert!(
            took >= first_byte && took < first_byte * 3,
            "{took:?}, not the 20 s scan timeout"
        );
    }
    let (status, _) = again.await.unwrap();
    assert_eq!(status, 504);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("probe_refusals_total{reason=\"client_busy\"} 2"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_queued_during_overload_is_not_served_its_503_from_the_cache() {
    let pki = TestPki::new();
    let tarpit = HostileServer::start(Hostile::Tarpit).unwrap();
    let good = good_server(&pki, "later.test").await;
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.connect_to = vec![
        format!("later.test:443:127.0.0.1:{}", good.port()),
        format!("::127.0.0.1:{}", tarpit.port()),
    ];
    spec.limits.max_scans = 1;
    spec.limits.queue = 1;
    spec.limits.queue_wait = Duration::from_millis(200);
    spec.first_byte = Some(Duration::from_secs(2));
    // Failures would be served from the cache for a minute.
    spec.cache.failure_ttl = Duration::from_secs(60);
    let app = Arc::new(spawn_app(spec).await);

    // The flood: one slow scan holds the only slot.
    let flood = tokio::spawn({
        let app = app.clone();
        async move {
            app.get("/api/v1/probe?host=slow.tarpit.test")
                .await
                .status()
        }
    });
    wait_for_readyz(&app, |r| r["scans_in_flight"] == 1).await;
    // later.test waits in the queue, and gives up.
    let (status, error) = error_of(app.get("/api/v1/probe?host=later.test").await).await;
    assert_eq!((status, error.error), (503, ErrorCode::Overloaded));
    assert!(
        error.message.contains("waited too long"),
        "{}",
        error.message
    );
    assert_eq!(flood.await.unwrap(), 504);

    // Once the slot is free, later.test is scanned: its 503 said nothing about it.
    let response = app.get("/api/v1/probe?host=later.test").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "miss");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("probe_cache_hits_total 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_names_for_one_address_are_one_target() {
    let pki = TestPki::new();
    let port = closed_port();
    let mut resolver = StaticResolver::new();
    let names: Vec<String> = (1..=30).map(|i| format!("a{i}.x.test")).collect();
    for name in &names {
        // What a wildcard record *.x.test answers.
        resolver = resolver.with(name, &[IpAddr::from([127, 0, 0, 1])]);
    }
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.limits.target_scans_per_minute = 10;
    spec.policy = AddressPolicy::public_only(vec!["127.0.0.1/32".parse().unwrap()])
        .with_ports(&[port.to_string().parse().unwrap()]);
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    let mut statuses = Vec::new();
    for name in &names {
        let response = app
            .get(&format!("/api/v1/probe?host={name}&port={port}"))
            .await;
        let (status, error) = error_of(response).await;
        if status == 429 {
            assert!(error.message.contains("too often"), "{}", error.message);
        }
        statuses.push(status);
    }
    let scanned = statuses.iter().filter(|s| **s == 502).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((scanned, limited), (10, 20), "{statuses:?}");
    assert_eq!(resolver.lookups(), 30, "each name looked up once");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("probe_refusals_total{reason=\"target_rate_limited\"} 20"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn followers_of_one_slow_scan_are_capped_in_open_streams() {
    let pki = TestPki::new();
    let tarpit = HostileServer::start(Hostile::Tarpit).unwrap();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.connect_to = vec![format!("::127.0.0.1:{}", tarpit.port())];
    spec.limits.client_streams = 2;
    spec.first_byte = Some(Duration::from_secs(2));
    let app = spawn_app(spec).await;
    let stream = || {
        app.get_with(
            "/api/v1/probe/stream?host=slow.tarpit.test",
            &[("Accept", "text/event-stream")],
        )
    };
    // Two streams follow the one scan (the second joins it)...
    let first = stream().await;
    assert_eq!(first.status(), 200);
    let second = stream().await;
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["x-cache"], "joined");
    // ...a third is refused, before it could join.
    let response = stream().await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
    assert!(error.message.contains("streams"), "{}", error.message);
    // When the streams end (the scan times out), the client may open streams again.
    for open in [first, second] {
        let body = tokio::time::timeout(Duration::from_secs(20), open.text())
            .await
            .expect("the stream ends")
            .unwrap();
        assert!(body.contains("event: error"), "{body}");
    }
    let again = stream().await;
    assert_eq!(again.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn joining_another_clients_scan_counts_against_the_cap() {
    let pki = TestPki::new();
    let tarpit = HostileServer::start(Hostile::Tarpit).unwrap();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.connect_to = vec![format!("::127.0.0.1:{}", tarpit.port())];
    spec.access.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    spec.limits.client_scans_in_flight = 1;
    spec.first_byte = Some(Duration::from_secs(2));
    let app = Arc::new(spawn_app(spec).await);
    let ask = |host: &'static str, client: &'static str| {
        let app = app.clone();
        tokio::spawn(async move {
            error_of(
                app.get_with(
                    &format!("/api/v1/probe?host={host}"),
                    &[("X-Forwarded-For", client)],
                )
                .await,
            )
            .await
        })
    };
    // The flooder waits on x, the neighbour on y.
    let x = ask("x.tarpit.test", FLOODER);
    let y = ask("y.tarpit.test", NEIGHBOUR);
    wait_for_readyz(&app, |r| r["scans_in_flight"] == 2).await;
    // Joining y would be a second scan for the flooder: refused, although y runs anyway.
    let (status, error) = ask("y.tarpit.test", FLOODER).await.unwrap();
    assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
    // Waiting on x a second time is the same scan.
    let x_again = ask("x.tarpit.test", FLOODER);
    for scan in [x, y, x_again] {
        let (status, _) = scan.await.unwrap();
        assert_eq!(status, 504);
    }
}
