//! `GET /api/v1/history`: every full scan the served probe runs is kept (SQLite in a
//! temporary data directory here; the store's own tests run PostgreSQL too) and read back
//! behind the token.

use std::net::IpAddr;
use std::sync::Arc;

use probe_server::store::{Location, Store};
use probe_server::target::resolve::StaticResolver;
use testbed::TestPki;

use crate::helpers::{AppSpec, error_of, good_server, spawn_app};

const TOKEN: &str = "history-test-token-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn full_scans_are_kept_and_served_newest_first_behind_the_token() {
    let pki = TestPki::new();
    let server = good_server(&pki, "kept.test").await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Location::DataDir(dir.path().to_owned()))
        .await
        .unwrap();
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(
        StaticResolver::new().with("kept.test", &[IpAddr::from([127, 0, 0, 1])]),
    ));
    spec.access.token = Some(TOKEN.into());
    spec.store = Some(store.clone());
    let app = spawn_app(spec).await;
    let auth = [("Authorization", format!("Bearer {TOKEN}"))];
    let get = |path: String| {
        let auth = auth.clone();
        let app = &app;
        async move {
            let mut request = app.client.get(format!("{}{path}", app.base));
            for (k, v) in auth {
                request = request.header(k, v);
            }
            request.send().await.unwrap()
        }
    };
    let port = server.port();
    let probe = format!("/api/v1/probe?host=kept.test&port={port}");
    for path in [
        probe.clone(),
        format!("{probe}&refresh=1"),
        format!("{probe}&quick=1&refresh=1"),
    ] {
        let response = get(path).await;
        assert_eq!(response.status(), 200);
    }

    let response = get(format!("/api/v1/history?host=kept.test&port={port}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["host"], "kept.test");
    assert_eq!(body["port"], port);
    let scans = body["scans"].as_array().unwrap();
    assert_eq!(
        scans.len(),
        2,
        "two full scans; the quick one is not history: {body}"
    );
    assert!(
        scans[0]["id"].as_i64() > scans[1]["id"].as_i64(),
        "newest first"
    );
    assert_eq!(scans[0]["grade"], "A+");
    assert_eq!(scans[0]["leaf_sha256"].as_str().unwrap().len(), 64);
    let stored = store
        .report(scans[0]["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.target.port, port);

    let body: serde_json::Value = get("/api/v1/history?host=kept.test&limit=1".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["scans"].as_array().unwrap().len(), 1);
    assert!(body["port"].is_null());

    for (path, status) in [
        ("/api/v1/history?host=kept.test&limit=0", 400),
        ("/api/v1/history?host=kept.test&limit=x", 400),
        ("/api/v1/history?host=kept.test&limit=1&limit=2", 400),
        ("/api/v1/history?host=kept.test&color=red", 400),
        ("/api/v1/history", 400),
        ("/api/v1/history?host=exa%20mple.com", 400),
    ] {
        let (code, _) = error_of(get(path.into()).await).await;
        assert_eq!(code, status, "{path}");
    }
    // No token, no history.
    let (code, _) = error_of(app.get("/api/v1/history?host=kept.test").await).await;
    assert_eq!(code, 401);
    app.stop().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_probe_without_history_says_so() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).unlimited()).await;
    let (code, error) = error_of(app.get("/api/v1/history?host=kept.test").await).await;
    assert_eq!(code, 404);
    assert!(error.message.contains("history"), "{}", error.message);
    app.stop().await;
}
