//! The report endpoint: answers, bad requests, and how failures map to statuses.

use std::time::Duration;

use probe_server::target::address_policy::AddressPolicy;
use shared::{ErrorCode, Grade, Report, ScanMode};
use testbed::TestPki;

use crate::helpers::{AppSpec, Tarpit, closed_port as closed, error_of, good_server, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn healthz_answers() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki)).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_returns_the_report() {
    let pki = TestPki::new();
    let server = good_server(&pki, "good.test").await;
    let mut spec = AppSpec::new(&pki);
    spec.connect_to = vec![
        format!("good.test::127.0.0.1:{}", server.port()),
        format!("good.test:80:127.0.0.1:{}", closed()),
    ];
    let app = spawn_app(spec).await;
    let response = app.get("/api/v1/probe?host=good.test&port=8443").await;
    assert_eq!(response.status(), 200);
    let report: Report = response.json().await.unwrap();
    assert_eq!(report.grade, Grade::APlus);
    assert_eq!(
        (report.target.host.as_str(), report.target.port),
        ("good.test", 8443)
    );
    assert!(report.trust.trusted);
    assert_eq!(report.scan_mode, ScanMode::Full);

    // endpoint= scans one address of the name: one it resolves to, or none.
    let response = app
        .get("/api/v1/probe?host=good.test&port=8443&endpoint=127.0.0.1")
        .await;
    assert_eq!(response.status(), 200);
    let report: Report = response.json().await.unwrap();
    assert_eq!(report.target.ip.to_string(), "127.0.0.1");
    let (status, error) = error_of(
        app.get("/api/v1/probe?host=good.test&port=8443&endpoint=127.0.0.9")
            .await,
    )
    .await;
    assert_eq!(
        (status, error.error),
        (400, ErrorCode::BadTarget),
        "{}",
        error.message
    );

    // quick=1 asks for the verified handshake only.
    let response = app
        .get("/api/v1/probe?host=good.test&port=8443&quick=1")
        .await;
    assert_eq!(response.status(), 200);
    let report: Report = response.json().await.unwrap();
    assert!(report.trust.trusted);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_400_with_a_reason() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki)).await;
    for (query, code, needle) in [
        ("", ErrorCode::BadTarget, "host parameter is required"),
        ("host=", ErrorCode::BadTarget, "host parameter is required"),
        ("host=exa%20mple.com", ErrorCode::BadTarget, "spaces"),
        ("host=example.com&port=0", ErrorCode::BadTarget, "port"),
        ("host=example.com&port=http", ErrorCode::BadTarget, "port"),
        ("host=example.com:444&port=443", ErrorCode::BadTarget, "444"),
        ("host=2130706433", ErrorCode::BadTarget, "127.0.0.1"),
        (
            "host=example.com&endpoint=0x7f.1",
            ErrorCode::BadTarget,
            "not an IP address",
        ),
        (
            "host=example.com&endpoint=www.example.com",
            ErrorCode::BadTarget,
            "not an IP address",
        ),
        (
            "host=example.com&colour=blue",
            ErrorCode::BadRequest,
            "unknown parameter",
        ),
        (
            "host=example.com&refresh=maybe",
            ErrorCode::BadRequest,
            "refresh",
        ),
        (
            "host=example.com&host=127.0.0.1",
            ErrorCode::BadRequest,
            "more than once",
        ),
    ] {
        let (status, error) = error_of(app.get(&format!("/api/v1/probe?{query}")).await).await;
        assert_eq!(
            (status, error.error),
            (400, code),
            "{query}: {}",
            error.message
        );
        assert!(error.message.contains(needle), "{query}: {}", error.message);
    }
    let (status, error) = error_of(app.get("/nope").await).await;
    assert_eq!((status, error.error), (404, ErrorCode::NotFound));
    let response = app
        .client
        .post(format!("{}/api/v1/probe?host=example.com", app.base))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (400, ErrorCode::BadRequest));
    assert!(error.message.contains("use GET"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn private_targets_are_refused_unless_allowed() {
    let pki = TestPki::new();
    let server = good_server(&pki, "good.test").await;
    let mut spec = AppSpec::new(&pki);
    spec.policy = AddressPolicy::public_only(Vec::new());
    spec.connect_to = vec![format!("good.test:443:127.0.0.1:{}", server.port())];
    let app = spawn_app(spec).await;
    for query in [
        "host=127.0.0.1",
        "host=good.test",
        "host=%5B::1%5D",
        "host=169.254.169.254",
        "host=10.0.0.1",
    ] {
        let (status, error) = error_of(app.get(&format!("/api/v1/probe?{query}")).await).await;
        assert_eq!(
            (status, error.error),
            (403, ErrorCode::TargetForbidden),
            "{query}"
        );
        assert!(
            error.message.contains("--allow-private"),
            "{}",
            error.message
        );
    }
    assert_eq!(
        server.connections(),
        0,
        "a refused target is never contacted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_targets_are_502_and_silent_ones_504() {
    let pki = TestPki::new();
    let tarpit = Tarpit::start().await;
    let tarpit_port = tarpit.port;
    let mut spec = AppSpec::new(&pki);
    spec.scan_timeout = Duration::from_secs(1);
    let app = spawn_app(spec).await;

    let (status, error) = error_of(
        app.get(&format!("/api/v1/probe?host=127.0.0.1&port={}", closed()))
            .await,
    )
    .await;
    assert_eq!(
        (status, error.error),
        (502, ErrorCode::ConnectFailed),
        "{}",
        error.message
    );

    let started = std::time::Instant::now();
    let (status, error) = error_of(
        app.get(&format!("/api/v1/probe?host=127.0.0.1&port={tarpit_port}"))
            .await,
    )
    .await;
    assert_eq!(
        (status, error.error),
        (504, ErrorCode::Timeout),
        "{}",
        error.message
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
