//! `GET /api/v1/probe/stream`: Server-Sent Events of `shared::StreamEvent`, as the extension
//! reads them.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use probe_server::target::resolve::StaticResolver;
use shared::{ErrorCode, ScanMode, StreamEvent};
use testbed::TestPki;

use crate::helpers::{AppSpec, SlowRelay, TestApp, error_of, good_server, spawn_app};

/// One event as sent: its `event:` name and its data parsed.
#[derive(Debug)]
pub(crate) struct Sse {
    pub(crate) name: String,
    pub(crate) event: StreamEvent,
}

/// Reads a whole stream (the server ends it after the final event).
pub(crate) async fn read_stream(app: &TestApp, query: &str) -> (String, Vec<Sse>) {
    let response = app
        .get_with(
            &format!("/api/v1/probe/stream?{query}"),
            &[("Accept", "text/event-stream")],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cache = response.headers()["x-cache"].to_str().unwrap().to_owned();
    let body = tokio::time::timeout(Duration::from_secs(30), response.text())
        .await
        .expect("the stream ends")
        .unwrap();
    (cache, parse(&body))
}

fn parse(body: &str) -> Vec<Sse> {
    let mut events = Vec::new();
    for block in body.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut name = None;
        let mut data = None;
        for line in block.lines() {
            if line.starts_with(':') {
                continue;
            }
            if let Some(value) = line.strip_prefix("event: ") {
                name = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("data: ") {
                assert!(data.is_none(), "one data line per event: {block}");
                data = Some(value.to_owned());
            } else {
                panic!("unexpected line {line:?}");
            }
        }
        let (Some(name), Some(data)) = (name, data) else {
            continue; // a keep-alive comment
        };
        let event: StreamEvent = serde_json::from_str(&data).expect("a StreamEvent");
        let kind = match &event {
            StreamEvent::Quick { .. } => "quick",
            StreamEvent::Progress(_) => "progress",
            StreamEvent::Report { .. } => "report",
            StreamEvent::Error(_) => "error",
        };
        assert_eq!(name, kind, "the event name is the variant's");
        events.push(Sse { name, event });
    }
    events
}

/// Quick (if any) first, then progress, then exactly one final event, last.
pub(crate) fn assert_well_ordered(events: &[Sse]) {
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let last = names.last().copied();
    assert!(matches!(last, Some("report" | "error")), "{names:?}");
    assert_eq!(
        names
            .iter()
            .filter(|n| matches!(**n, "report" | "error"))
            .count(),
        1,
        "{names:?}"
    );
    if let Some(quick) = names.iter().position(|n| *n == "quick") {
        assert!(
            names[..quick].iter().all(|n| *n != "progress"),
            "quick comes before progress: {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stream_ends_with_the_report_then_comes_from_the_cache() {
    let pki = TestPki::new();
    let server = good_server(&pki, "stream.test").await;
    let resolver = StaticResolver::new().with("stream.test", &[IpAddr::from([127, 0, 0, 1])]);
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver));
    let app = spawn_app(spec).await;
    let query = format!("host=stream.test&port={}", server.port());

    let (cache, events) = read_stream(&app, &query).await;
    assert_eq!(cache, "miss");
    assert_well_ordered(&events);
    let Some(StreamEvent::Report { report }) = events.last().map(|e| &e.event) else {
        panic!("{events:?}");
    };
    assert_eq!(report.scan_mode, ScanMode::Full);
    assert!(report.trust.trusted);
    // The quick verdict first (as soon as the verified handshake is done), then the full
    // scan's progress, then the report.
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"quick"), "{names:?}");
    assert!(names.contains(&"progress"), "{names:?}");
    let StreamEvent::Quick { report: quick } = &events[0].event else {
        panic!("{events:?}");
    };
    assert_eq!(quick.scan_mode, ScanMode::Quick);
    assert_eq!(quick.certificates, report.certificates);
    let mut done = 0;
    for event in &events {
        if let StreamEvent::Progress(progress) = &event.event {
            assert!(
                progress.done > done && progress.done <= progress.total,
                "{progress:?}"
            );
            done = progress.done;
        }
    }
    // The bar reaches its end: the total is what the survey really reports.
    let last = events.iter().rev().find_map(|e| match &e.event {
        StreamEvent::Progress(progress) => Some(progress),
        _ => None,
    });
    let last = last.expect("progress events");
    assert_eq!(last.done, last.total, "{last:?}");

    let (cache, again) = read_stream(&app, &query).await;
    assert_eq!(cache, "hit");
    assert_eq!(again.len(), 1);
    match &again[0].event {
        StreamEvent::Report { report: cached } => assert_eq!(cached, report),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_scan_ends_the_stream_with_an_error_event() {
    let pki = TestPki::new();
    let resolver = StaticResolver::new().with("inside.test", &[IpAddr::from([10, 0, 0, 1])]);
    let mut spec = AppSpec::new(&pki).public_only();
    spec.resolver = Some(Arc::new(resolver));
    let app = spawn_app(spec).await;
    let (_, events) = read_stream(&app, "host=inside.test").await;
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0].event {
        StreamEvent::Error(error) => {
            assert_eq!(error.error, ErrorCode::TargetForbidden);
            assert!(!error.message.contains("10.0.0.1"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
    let (_, events) = read_stream(&app, "host=nowhere.test").await;
    assert!(
        matches!(&events[0].event, StreamEvent::Error(e) if e.error == ErrorCode::ResolveFailed)
    );

    // What can be refused before a scan is an HTTP error, not a stream.
    let (status, error) = error_of(app.get("/api/v1/probe/stream?host=127.0.0.1").await).await;
    assert_eq!((status, error.error), (403, ErrorCode::TargetForbidden));
    let (status, error) = error_of(
        app.get("/api/v1/probe/stream?host=example.com&quick=1")
            .await,
    )
    .await;
    assert_eq!((status, error.error), (400, ErrorCode::BadRequest));
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_for_one_target_share_its_scan() {
    let pki = TestPki::new();
    let server = good_server(&pki, "shared.test").await;
    let relay = SlowRelay::start(server.addr(), Duration::from_millis(300)).await;
    let resolver = StaticResolver::new().with("shared.test", &[IpAddr::from([127, 0, 0, 1])]);
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = Arc::new(spawn_app(spec).await);
    let query = format!("host=shared.test&port={}", relay.port);
    let streams: Vec<_> = (0..3)
        .map(|_| {
            let app = app.clone();
            let query = query.clone();
            tokio::spawn(async move { read_stream(&app, &query).await })
        })
        .collect();
    // A plain request for the same target joins the same scan too.
    let plain = app.get(&format!("/api/v1/probe?{query}")).await;
    assert_eq!(plain.status(), 200);
    let mut caches = vec![plain.headers()["x-cache"].to_str().unwrap().to_owned()];
    for stream in streams {
        let (cache, events) = stream.await.unwrap();
        assert_well_ordered(&events);
        assert_eq!(events.last().unwrap().name, "report");
        caches.push(cache);
    }
    assert_eq!(resolver.lookups(), 1, "{caches:?}");
    assert_eq!(
        caches.iter().filter(|c| *c == "miss").count(),
        1,
        "{caches:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quick_request_takes_the_quick_verdict_of_a_running_full_scan() {
    let pki = TestPki::new();
    let server = good_server(&pki, "both.test").await;
    let relay = SlowRelay::start(server.addr(), Duration::from_millis(150)).await;
    let resolver = StaticResolver::new().with("both.test", &[IpAddr::from([127, 0, 0, 1])]);
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = Arc::new(spawn_app(spec).await);
    let query = format!("host=both.test&port={}", relay.port);
    let stream = tokio::spawn({
        let app = app.clone();
        let query = query.clone();
        async move { read_stream(&app, &query).await }
    });
    // Wait until the full scan is under way.
    let started = std::time::Instant::now();
    while relay.connections() == 0 {
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let response = app.get(&format!("/api/v1/probe?{query}&quick=1")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-cache"], "joined");
    let quick: shared::Report = response.json().await.unwrap();
    assert_eq!(quick.scan_mode, ScanMode::Quick);
    assert!(!stream.is_finished(), "answered before the full scan ended");
    let (_, events) = stream.await.unwrap();
    assert_eq!(events.last().unwrap().name, "report");
    assert_eq!(resolver.lookups(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quiet_stream_sends_keep_alive_comments() {
    let pki = TestPki::new();
    let server = good_server(&pki, "quiet.test").await;
    // Each connection waits 200 ms: silences longer than the keep-alive between events.
    let relay = SlowRelay::start(server.addr(), Duration::from_millis(200)).await;
    let resolver = StaticResolver::new().with("quiet.test", &[IpAddr::from([127, 0, 0, 1])]);
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(resolver));
    spec.http.stream_keep_alive = Duration::from_millis(50);
    let app = spawn_app(spec).await;
    let body = app
        .get(&format!(
            "/api/v1/probe/stream?host=quiet.test&port={}",
            relay.port
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("\n: keep-alive\n\n") || body.starts_with(": keep-alive\n\n"),
        "{body}"
    );
    assert!(body.contains("event: report"), "{body}");
}
