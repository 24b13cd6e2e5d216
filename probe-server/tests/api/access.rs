//! Who may ask: extension origins only (CORS, never `*`), Host names (DNS rebinding against
//! the probe itself), and the API token.

use std::time::{Duration, Instant};

use probe_server::server::AccessConfig;
use shared::ErrorCode;
use testbed::TestPki;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{AppSpec, error_of, spawn_app};

const CHROME: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
const FIREFOX: &str = "moz-extension://0b5e7c42-7d4a-4b7e-9c1e-3a2b1c0d9e8f";
const TOKEN: &str = "correct-horse-battery-staple";

/// A request refused before any scan: an IP literal the default policy refuses.
const REFUSED_TARGET: &str = "/api/v1/probe?host=10.0.0.1";

#[tokio::test(flavor = "multi_thread")]
async fn extension_origins_are_echoed_never_a_wildcard() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).public_only()).await;
    for origin in [CHROME, FIREFOX] {
        let response = app.get_with("/healthz", &[("Origin", origin)]).await;
        assert_eq!(response.status(), 200, "{origin}");
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], origin);
        assert!(
            headers
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().contains("Origin"))
        );
        let exposed = headers["access-control-expose-headers"].to_str().unwrap();
        assert!(exposed.contains("Retry-After"), "{exposed}");
        // Error answers carry the CORS headers too, so the extension can read them.
        let response = app.get_with(REFUSED_TARGET, &[("Origin", origin)]).await;
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
    }
    // Without an Origin (curl, monitoring) there is no CORS header at all.
    let response = app.get("/healthz").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn web_pages_are_refused() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).public_only()).await;
    for origin in [
        "https://evil.example",
        "http://127.0.0.1:7443",
        "http://localhost",
        "null",
        "file://",
        "chrome-extension://",
    ] {
        let response = app
            .get_with("/api/v1/probe?host=example.com", &[("Origin", origin)])
            .await;
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        let (status, error) = error_of(response).await;
        assert_eq!(
            (status, error.error),
            (403, ErrorCode::Forbidden),
            "{origin}"
        );
    }
    // What a page's <img>, no-cors fetch or link makes the browser send: no Origin, but
    // Sec-Fetch-* headers that say so.
    for (site, mode) in [
        ("cross-site", "no-cors"),
        ("cross-site", "navigate"),
        ("same-site", "no-cors"),
    ] {
        let (status, error) = error_of(
            app.get_with(
                "/api/v1/probe?host=example.com",
                &[("Sec-Fetch-Site", site), ("Sec-Fetch-Mode", mode)],
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, error.error),
            (403, ErrorCode::Forbidden),
            "{site} {mode}"
        );
    }
    // Typed into the address bar: allowed (and refused later for the target, here).
    let response = app
        .get_with(
            REFUSED_TARGET,
            &[("Sec-Fetch-Site", "none"), ("Sec-Fetch-Mode", "navigate")],
        )
        .await;
    let (_, error) = error_of(response).await;
    assert_eq!(error.error, ErrorCode::TargetForbidden);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("probe_refusals_total{reason=\"origin\"} 9"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn preflights_from_extensions_are_answered() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki);
    spec.access.token = Some(TOKEN.into());
    let app = spawn_app(spec).await;
    let response = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/probe/stream?host=example.com", app.base),
        )
        .header("Origin", CHROME)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "no token is needed for a preflight");
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], CHROME);
    assert_eq!(headers["access-control-allow-methods"], "GET");
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization")
    );
    // A web page's preflight is refused like its request.
    let response = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/probe?host=example.com", app.base),
        )
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pinned_extension_ids_admit_only_those() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki).public_only();
    spec.access = AccessConfig {
        extension_ids: vec!["abcdefghijklmnopabcdefghijklmnop".into()],
        ..AccessConfig::default()
    };
    let app = spawn_app(spec).await;
    let response = app.get_with("/healthz", &[("Origin", CHROME)]).await;
    assert_eq!(response.status(), 200);
    let other = "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba";
    let (status, _) = error_of(app.get_with("/healthz", &[("Origin", other)]).await).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rebound_name_cannot_reach_the_probe_on_loopback() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).public_only()).await;
    let port = app.address.port();
    // A page at http://evil.example:PORT whose name now resolves to 127.0.0.1 sends its
    // own name as Host; X-Forwarded-Host (which it could set) changes nothing.
    for host in [
        format!("evil.example:{port}"),
        "127.0.0.1.evil.example".into(),
    ] {
        let (status, error) = error_of(
            app.get_with(
                REFUSED_TARGET,
                &[("Host", host.as_str()), ("X-Forwarded-Host", "127.0.0.1")],
            )
            .await,
        )
        .await;
        assert_eq!((status, error.error), (403, ErrorCode::Forbidden), "{host}");
        assert!(
            error.message.contains("--allowed-host"),
            "{}",
            error.message
        );
    }
    for host in [format!("localhost:{port}"), format!("[::1]:{port}")] {
        let (_, error) = error_of(app.get_with(REFUSED_TARGET, &[("Host", &host)]).await).await;
        assert_eq!(error.error, ErrorCode::TargetForbidden, "{host}");
    }

    // A reverse proxy's public name, when the operator names it.
    let mut spec = AppSpec::new(&pki).public_only();
    spec.access.allowed_hosts = vec!["probe.example.org".into()];
    let app = spawn_app(spec).await;
    let (_, error) = error_of(
        app.get_with(REFUSED_TARGET, &[("Host", "probe.example.org")])
            .await,
    )
    .await;
    assert_eq!(error.error, ErrorCode::TargetForbidden);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_required_where_configured() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki).public_only();
    spec.access.token = Some(TOKEN.into());
    let app = spawn_app(spec).await;
    let bearer = format!("Bearer {TOKEN}");
    for (authorization, expected) in [
        (None, "wants an API token"),
        (Some("Bearer wrong-token"), "wrong"),
        (Some(TOKEN), "wants an API token"),
        (Some("Basic Y29ycmVjdA=="), "wants an API token"),
        (Some("Bearer correct-horse-battery-stapl"), "wrong"),
        (Some("Bearer correct-horse-battery-staple2"), "wrong"),
    ] {
        for path in [
            REFUSED_TARGET,
            "/api/v1/probe/stream?host=10.0.0.1",
            "/metrics",
        ] {
            let mut headers = vec![("Origin", CHROME)];
            if let Some(value) = authorization {
                headers.push(("Authorization", value));
            }
            let response = app.get_with(path, &headers).await;
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            assert_eq!(response.headers()["access-control-allow-origin"], CHROME);
            let (status, error) = error_of(response).await;
            assert_eq!(
                (status, error.error),
                (401, ErrorCode::Unauthorized),
                "{path}"
            );
            assert!(error.message.contains(expected), "{}", error.message);
        }
    }
    let (_, error) = error_of(
        app.get_with(REFUSED_TARGET, &[("Authorization", &bearer)])
            .await,
    )
    .await;
    assert_eq!(
        error.error,
        ErrorCode::TargetForbidden,
        "the token lets it through"
    );
    let metrics = app
        .get_with("/metrics", &[("Authorization", &bearer)])
        .await;
    assert_eq!(metrics.status(), 200);

    // Health checks stay open; a token sent to /healthz is checked (the extension's "Test
    // connection" learns whether its token is right).
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(
        app.get_with("/healthz", &[("Authorization", &bearer)])
            .await
            .status(),
        200
    );
    let (status, _) = error_of(
        app.get_with("/healthz", &[("Authorization", "Bearer nope")])
            .await,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn long_urls_and_bodies_are_refused() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).public_only()).await;
    let long = format!("/api/v1/probe?host={}.example", "a".repeat(3000));
    let (status, error) = error_of(app.get(&long).await).await;
    assert_eq!((status, error.error), (400, ErrorCode::BadRequest));
    assert!(error.message.contains("longer than"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_bodies_are_refused_unread() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).public_only()).await;
    let response = app
        .client
        .post(format!("{}/api/v1/probe?host=example.com", app.base))
        .body(vec![b'x'; 1 << 20])
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.error), (400, ErrorCode::BadRequest));
    assert!(
        error.message.contains("no request body"),
        "{}",
        error.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_clients_are_cut_off() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki);
    spec.http.request_timeout = Duration::from_secs(1);
    let app = spawn_app(spec).await;
    // Half a request head, then nothing (slowloris).
    let mut socket = tokio::net::TcpStream::connect(app.address).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection is closed by the server");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

/// The requests Chromium 156 sends from an unpacked MV3 extension's service worker, as
/// captured: with host permission for the probe (no Origin, no preflight), and without
/// (a preflight, then the request with its `chrome-extension://` Origin).
#[tokio::test(flavor = "multi_thread")]
async fn the_extension_as_chromium_sends_it_is_served() {
    let pki = TestPki::new();
    let mut spec = AppSpec::new(&pki).public_only();
    spec.access.token = Some(TOKEN.into());
    let app = spawn_app(spec).await;
    let bearer = format!("Bearer {TOKEN}");
    let origin = "chrome-extension://gmaeikoallnolpjandnfbdnienagljok";

    let with_permission = [
        ("Authorization", bearer.as_str()),
        ("Accept", "text/event-stream"),
        ("Sec-Fetch-Site", "none"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
    ];
    let (_, error) = error_of(app.get_with(REFUSED_TARGET, &with_permission).await).await;
    assert_eq!(error.error, ErrorCode::TargetForbidden);

    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}{REFUSED_TARGET}", app.base),
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .header("Pragma", "no-cache")
        .header("Cache-Control", "no-cache")
        .header("Sec-Fetch-Site", "cross-site")
        .header("Sec-Fetch-Mode", "cors")
        .header("Sec-Fetch-Dest", "empty")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], origin);
    let without_permission = [
        ("Origin", origin),
        ("Authorization", bearer.as_str()),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
    ];
    let response = app.get_with(REFUSED_TARGET, &without_permission).await;
    assert_eq!(response.headers()["access-control-allow-origin"], origin);
    let (_, error) = error_of(response).await;
    assert_eq!(error.error, ErrorCode::TargetForbidden);
}
