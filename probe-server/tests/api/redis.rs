//! Replicas sharing one real Redis (`--redis`): two apps, one `redis-server` started here on a
//! loopback port and killed by PID. A report scanned through one replica is a hit on the
//! other, a client's rate limit holds across both, and with Redis stopped the replicas still
//! answer from their own structures, then share again once it is back.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use probe_server::target::resolve::StaticResolver;
use shared::{ErrorCode, Report};
use testbed::{RedisServer, TestPki};

use crate::helpers::{
    AppSpec, SlowRelay, Tarpit, TestApp, closed_port, error_of, good_server, spawn_app,
};

fn loopback() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

async fn redis() -> RedisServer {
    tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap()
        .expect("redis-server starts (apt-get install redis-server)")
}

/// Two replicas of the app sharing `redis`, resolving `names` to loopback.
async fn replicas(pki: &TestPki, redis: &RedisServer, names: &[&str]) -> (TestApp, TestApp) {
    let mut resolver = StaticResolver::new();
    for name in names {
        resolver = resolver.with(name, &[loopback()]);
    }
    let spawn = || {
        let mut spec = AppSpec::new(pki).unlimited();
        spec.resolver = Some(Arc::new(resolver.clone()));
        spec.redis = Some(redis.url());
        spawn_app(spec)
    };
    let a = spawn().await;
    let b = spawn().await;
    (a, b)
}

fn fallbacks(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("probe_redis_fallbacks_total "))
        .expect("the fallback counter is exposed")
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_scanned_through_one_replica_is_a_hit_on_the_other() {
    let pki = TestPki::new();
    let redis = redis().await;
    let server = good_server(&pki, "shared.test").await;
    let (a, b) = replicas(&pki, &redis, &["shared.test"]).await;
    let url = format!("/api/v1/probe?host=shared.test&port={}", server.port());

    let response = a.get(&url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "miss");
    let first: Report = response.json().await.unwrap();
    let connections = server.connections();

    let response = b.get(&url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "hit", "B answers from Redis");
    assert!(response.headers().contains_key("age"));
    let shared: Report = response.json().await.unwrap();
    assert_eq!(shared, first, "the very same report");
    assert_eq!(server.connections(), connections, "B made no connection");

    let metrics = b.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("probe_cache_hits_total 1"), "{metrics}");
    assert!(metrics.contains("probe_cache_misses_total 0"), "{metrics}");
    assert_eq!(fallbacks(&metrics), 0, "{metrics}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hit_from_redis_is_kept_by_the_replica_that_read_it() {
    let pki = TestPki::new();
    let mut redis = redis().await;
    let server = good_server(&pki, "kept.test").await;
    let (a, b) = replicas(&pki, &redis, &["kept.test"]).await;
    let url = format!("/api/v1/probe?host=kept.test&port={}", server.port());
    assert_eq!(a.get(&url).await.headers()["x-cache"], "miss");
    let first: Report = b.get(&url).await.json().await.unwrap();

    // Redis gone: B answers from its own copy, without asking Redis (no fallback counted),
    // and the target sees no new scan.
    redis.stop();
    let connections = server.connections();
    for _ in 0..3 {
        let response = b.get(&url).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-cache"], "hit", "B's own copy");
        let again: Report = response.json().await.unwrap();
        assert_eq!(again, first);
    }
    assert_eq!(server.connections(), connections);
    let metrics = b.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        fallbacks(&metrics),
        0,
        "B did not ask Redis again: {metrics}"
    );
    assert!(metrics.contains("probe_cache_hits_total 4"), "{metrics}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clients_rate_limit_holds_across_replicas() {
    let pki = TestPki::new();
    let redis = redis().await;
    let spawn = || {
        let mut spec = AppSpec::new(&pki).unlimited();
        spec.limits.client_scans_per_minute = 2;
        spec.redis = Some(redis.url());
        spawn_app(spec)
    };
    let (a, b) = (spawn().await, spawn().await);
    // Scans of closed ports: quick failures, each a new scan that costs the client a token.
    let ask = |app: &TestApp| {
        let url = format!("/api/v1/probe?host=127.0.0.1&port={}", closed_port());
        let app_base = app.base.clone();
        let client = app.client.clone();
        async move { client.get(format!("{app_base}{url}")).send().await.unwrap() }
    };
    for app in [&a, &b] {
        let response = ask(app).await;
        assert_ne!(response.status(), 429, "within the limit");
    }
    // Each replica has let one scan through; on its own each would allow another.
    for app in [&a, &b] {
        let response = ask(app).await;
        assert!(response.headers().contains_key("retry-after"));
        let (status, error) = error_of(response).await;
        assert_eq!((status, error.error), (429, ErrorCode::RateLimited));
        assert!(error.message.contains("client"), "{}", error.message);
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_redis_stopped_the_replicas_answer_alone_then_share_again() {
    let pki = TestPki::new();
    let mut redis = redis().await;
    let names = ["before.test", "during.test", "after.test"];
    let mut servers = Vec::new();
    for name in names {
        servers.push(good_server(&pki, name).await);
    }
    let (a, b) = replicas(&pki, &redis, &names).await;
    let url = |i: usize| format!("/api/v1/probe?host={}&port={}", names[i], servers[i].port());

    assert_eq!(a.get(&url(0)).await.headers()["x-cache"], "miss");
    assert_eq!(b.get(&url(0)).await.headers()["x-cache"], "hit");

    // Redis gone: B still answers, scanning itself, and caches locally.
    assert!(redis.pid().is_some());
    redis.stop();
    let response = b.get(&url(1)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "miss");
    let response = b.get(&url(1)).await;
    assert_eq!(response.headers()["x-cache"], "hit", "B's own cache");
    let metrics = b.get("/metrics").await.text().await.unwrap();
    assert!(fallbacks(&metrics) >= 1, "{metrics}");

    // Redis back (empty): within a bounded number of tries, A's scans reach it again and B
    // gets them from there. Each try is a key of its own (its SNI), so a hit on B can only
    // come from Redis, never from B's own scan of an earlier try.
    let mut redis = tokio::task::spawn_blocking(move || {
        redis.restart().expect("redis-server restarts");
        redis
    })
    .await
    .unwrap();
    let mut shared_again = false;
    for attempt in 0..100 {
        let ask = format!("{}&sni=try{attempt}.after.test", url(2));
        let scanned = a.get(&ask).await;
        assert_eq!(scanned.status(), 200);
        assert_eq!(scanned.headers()["x-cache"], "miss");
        let first: Report = scanned.json().await.unwrap();
        let response = b.get(&ask).await;
        assert_eq!(response.status(), 200);
        if response.headers()["x-cache"] == "hit" {
            let shared: Report = response.json().await.unwrap();
            assert_eq!(shared, first);
            shared_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        shared_again,
        "the replicas never shared again after Redis came back"
    );
    a.stop().await;
    b.stop().await;
    redis.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_that_never_answers_holds_no_request() {
    let pki = TestPki::new();
    let tarpit = Tarpit::start().await;
    let server = good_server(&pki, "slow-redis.test").await;
    let resolver = StaticResolver::new().with("slow-redis.test", &[loopback()]);
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver));
    // Accepts the connection and never says a word: a hung Redis.
    spec.redis = Some(format!("redis://127.0.0.1:{}/", tarpit.port));
    let app = spawn_app(spec).await;
    let url = format!("/api/v1/probe?host=slow-redis.test&port={}", server.port());
    // A bound on the whole request only so that a hang fails the test instead of stalling it.
    let response = tokio::time::timeout(Duration::from_secs(20), app.get(&url))
        .await
        .expect("the request is answered though Redis never is");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "miss");
    let response = app.get(&url).await;
    assert_eq!(response.headers()["x-cache"], "hit", "the local cache");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(fallbacks(&metrics) >= 1, "{metrics}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_requests_across_replicas_make_one_scan() {
    let pki = TestPki::new();
    let redis = redis().await;
    let server = good_server(&pki, "once.test").await;
    // Each connection held a moment, so that the ten requests overlap the scan.
    let relay = SlowRelay::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], server.port())),
        Duration::from_millis(200),
    )
    .await;
    let (a, b) = replicas(&pki, &redis, &["once.test"]).await;
    let url = format!("/api/v1/probe?host=once.test&port={}&refresh=1", relay.port);

    // One scan alone, for its count of connections (and an older report in Redis, which the
    // followers below must not take for the new one).
    let response = a.get(&url).await;
    assert_eq!(response.status(), 200);
    let one_scan = relay.connections();
    assert!(one_scan >= 1);

    let a = Arc::new(a);
    let b = Arc::new(b);
    let mut asks = Vec::new();
    for i in 0..10 {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        let url = url.clone();
        asks.push(tokio::spawn(async move {
            let response = app.get(&url).await;
            let status = response.status().as_u16();
            let report: Report = response.json().await.unwrap();
            (status, report.scanned_at)
        }));
    }
    let mut answers = Vec::new();
    for ask in asks {
        answers.push(ask.await.unwrap());
    }
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    assert_eq!(
        relay.connections(),
        2 * one_scan,
        "the ten requests made one scan between them"
    );
    let first = &answers[0].1;
    assert!(
        answers.iter().all(|(_, at)| at == first),
        "one report for all"
    );
    let (Ok(a), Ok(b)) = (Arc::try_unwrap(a), Arc::try_unwrap(b)) else {
        panic!("the apps are still shared");
    };
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_killed_mid_scan_leaves_the_target_to_another_after_its_lease() {
    let pki = TestPki::new();
    let redis = redis().await;
    // Replica A, the real binary, scans `dead.test` through a relay that holds every
    // connection: it takes the target's lock and is killed -9 in the middle of the scan.
    let hold = SlowRelay::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], closed_port())),
        Duration::from_secs(60),
    )
    .await;
    let root = pki.root_pem().display().to_string();
    let rule = format!("dead.test:443:127.0.0.1:{}", hold.port);
    let redis_url = redis.url();
    // Lease: the scan timeout, the queue wait and 5 s, so 3 + 1 + 5 = 9 s.
    let mut a = crate::cli::serve(
        &[
            "--allow-private",
            "--ca-file",
            &root,
            "--connect-to",
            &rule,
            "--timeout",
            "3",
            "--queue-wait",
            "1",
            "--redis",
            &redis_url,
        ],
        &[],
    )
    .await;
    let asked = tokio::spawn({
        let url = a.url("/api/v1/probe?host=dead.test&quick=1");
        async move { reqwest::get(url).await }
    });
    for _ in 0..500 {
        if hold.connections() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(hold.connections() > 0, "A started its scan");
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
    assert!(asked.await.unwrap().is_err(), "A died before answering");

    // Replica B (in-process) reaches the real site: it waits out A's lease, then scans.
    let server = good_server(&pki, "dead.test").await;
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.connect_to = vec![format!("dead.test:443:127.0.0.1:{}", server.port())];
    spec.redis = Some(redis.url());
    let b = spawn_app(spec).await;
    let response = tokio::time::timeout(
        Duration::from_secs(60),
        b.get("/api/v1/probe?host=dead.test&quick=1"),
    )
    .await
    .expect("the dead replica's lock does not block the target for good");
    assert_eq!(response.status(), 200);
    let report: Report = response.json().await.unwrap();
    assert!(report.trust.trusted);
    assert!(server.connections() > 0, "B scanned it itself");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_on_a_follower_replica_gets_the_leaders_progress_and_its_report() {
    let pki = TestPki::new();
    let redis = redis().await;
    let server = good_server(&pki, "progress.test").await;
    // Each connection held a moment, so that the scan lasts long enough to be followed.
    let relay = SlowRelay::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], server.port())),
        Duration::from_millis(200),
    )
    .await;
    let (a, b) = replicas(&pki, &redis, &["progress.test"]).await;
    let query = format!("host=progress.test&port={}&refresh=1", relay.port);

    // One scan alone, for its count of connections.
    let (_, alone) = crate::stream::read_stream(&a, &query).await;
    crate::stream::assert_well_ordered(&alone);
    let one_scan = relay.connections();

    // A leads a new scan; once the target sees it, a stream on B for the same target.
    let a = Arc::new(a);
    let leader = {
        let (a, query) = (a.clone(), query.clone());
        tokio::spawn(async move { crate::stream::read_stream(&a, &query).await })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while relay.connections() == one_scan {
        assert!(
            std::time::Instant::now() < deadline,
            "A's scan never reached the target"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, followed) = crate::stream::read_stream(&b, &query).await;
    let (_, led) = leader.await.unwrap();

    crate::stream::assert_well_ordered(&followed);
    let names: Vec<&str> = followed.iter().map(|e| e.name.as_str()).collect();
    assert!(
        names.contains(&"progress"),
        "B relays A's progress: {names:?}"
    );
    let report_of = |events: &[crate::stream::Sse]| match events.last().map(|e| &e.event) {
        Some(shared::StreamEvent::Report { report }) => report.scanned_at.clone(),
        other => panic!("no report: {other:?}"),
    };
    assert_eq!(report_of(&followed), report_of(&led), "A's report");
    assert_eq!(
        relay.connections(),
        2 * one_scan,
        "the target saw one scan for the two streams"
    );
    let Ok(a) = Arc::try_unwrap(a) else {
        panic!("A is still shared");
    };
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn following_another_replicas_scan_costs_no_scan_token() {
    let pki = TestPki::new();
    let redis = redis().await;
    let server = good_server(&pki, "tokens.test").await;
    let relay = SlowRelay::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], server.port())),
        Duration::from_millis(200),
    )
    .await;
    let resolver = StaticResolver::new().with("tokens.test", &[loopback()]);
    let spawn = || {
        let mut spec = AppSpec::new(&pki).unlimited();
        spec.limits.client_scans_per_minute = 2;
        spec.limits.target_scans_per_minute = 1;
        spec.resolver = Some(Arc::new(resolver.clone()));
        spec.redis = Some(redis.url());
        spawn_app(spec)
    };
    let (a, b) = (Arc::new(spawn().await), spawn().await);
    let url = format!("/api/v1/probe?host=tokens.test&port={}", relay.port);

    // A scans (the client's first token, the target's only one); B asks meanwhile and
    // follows A's scan.
    let leader = {
        let (a, url) = (a.clone(), url.clone());
        tokio::spawn(async move {
            let response = a.get(&url).await;
            (
                response.status().as_u16(),
                response.json::<Report>().await.ok(),
            )
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while relay.connections() == 0 {
        assert!(std::time::Instant::now() < deadline, "A never scanned");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = b.get(&url).await;
    assert_eq!(
        response.status(),
        200,
        "B needs no target token to follow: {:?}",
        error_of(response).await
    );
    let followed: Report = b.get(&url).await.json().await.unwrap();
    let (status, led) = leader.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(Some(followed.scanned_at), led.map(|r| r.scanned_at));

    // The client's second token is still there: a scan elsewhere (another address, so
    // another target window) is not refused as "too many scans from this client".
    let other = format!("/api/v1/probe?host=127.0.0.2&port={}", closed_port());
    let mut gave_back = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !gave_back && std::time::Instant::now() < deadline {
        // The refund is a task of its own: a moment may pass before it is in Redis.
        let response = a.get(&other).await;
        if response.status() != 429 {
            assert_eq!(response.status(), 502, "a scan that found the port closed");
            gave_back = true;
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = response.bytes().await;
    }
    assert!(gave_back, "following cost the client a scan token");
    let Ok(a) = Arc::try_unwrap(a) else {
        panic!("A is still shared");
    };
    a.stop().await;
    b.stop().await;
}
