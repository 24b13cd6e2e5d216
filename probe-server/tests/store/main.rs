//! The history store on both databases it supports: SQLite embedded (in a temporary data
//! directory) and a real PostgreSQL (initdb and postgres as `nobody`, on a loopback port,
//! killed by PID). The same body runs on both: one code path.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use probe_server::store::{Location, Store, StoreError};
use shared::{Report, ScanMode};
use testbed::PostgresServer;

/// A real full report (a scan of gnutls-serv, kept as a fixture), at another time and port.
fn report(host: &str, port: u16, scanned_at: &str) -> Report {
    let mut report: Report =
        serde_json::from_str(include_str!("../../../shared/fixtures/full-gnutls.json")).unwrap();
    assert_eq!(report.scan_mode, ScanMode::Full);
    report.target.host = host.to_owned();
    report.target.port = port;
    report.scanned_at = scanned_at.to_owned();
    report
}

async fn exercise(store: &Store) {
    let older = report("site.test", 443, "2026-11-01T10:00:00Z");
    let newer = report("site.test", 443, "2026-11-02T10:00:00Z");
    let other_port = report("site.test", 8443, "2026-11-03T10:00:00Z");
    let other_host = report("else.test", 443, "2026-11-04T10:00:00Z");
    let mut quick = report("site.test", 443, "2026-11-05T10:00:00Z");
    quick.scan_mode = ScanMode::Quick;

    let older_id = store.record(&older).await.unwrap().unwrap();
    let newer_id = store.record(&newer).await.unwrap().unwrap();
    store.record(&other_port).await.unwrap().unwrap();
    store.record(&other_host).await.unwrap().unwrap();
    assert_eq!(
        store.record(&quick).await.unwrap(),
        None,
        "a quick grade is provisional: not history"
    );

    let all = store.history("site.test", None, 50).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|e| (e.port, e.scanned_at.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (8443, "2026-11-03T10:00:00Z"),
            (443, "2026-11-02T10:00:00Z"),
            (443, "2026-11-01T10:00:00Z"),
        ],
        "newest first, every port"
    );
    let on_443 = store.history("site.test", Some(443), 50).await.unwrap();
    assert_eq!(
        on_443.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![newer_id, older_id]
    );
    assert_eq!(store.history("site.test", None, 1).await.unwrap().len(), 1);
    assert!(
        store
            .history("none.test", None, 50)
            .await
            .unwrap()
            .is_empty()
    );

    let entry = &on_443[0];
    assert_eq!(entry.grade, newer.grade);
    assert_eq!(
        entry.leaf_sha256.as_deref(),
        Some(newer.certificates[0].sha256_fingerprint.as_str())
    );
    assert_eq!(
        entry.leaf_not_after.as_deref(),
        Some(newer.certificates[0].not_after.as_str())
    );
    assert_eq!(
        entry.finding_ids,
        newer
            .findings
            .iter()
            .map(|f| f.id.as_str().to_owned())
            .collect::<Vec<_>>()
    );
    assert!(!entry.finding_ids.is_empty());
    assert_eq!(entry.endpoints[0].ip, newer.target.ip);
    assert_eq!(entry.duration_ms, newer.duration_ms);
    assert_eq!(store.report(newer_id).await.unwrap(), Some(newer));
    assert_eq!(store.report(i64::MAX).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_in_the_data_directory_keeps_the_history_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("not-yet-there");
    let location = Location::DataDir(data_dir.clone());
    let store = Store::open(&location).await.unwrap();
    exercise(&store).await;
    store.close().await;
    assert!(data_dir.join(probe_server::store::SQLITE_FILE).is_file());
    // Reopened: the migrations see they already ran, and nothing was lost.
    let store = Store::open(&location).await.unwrap();
    assert_eq!(store.history("site.test", None, 50).await.unwrap().len(), 3);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_runs_the_same_code_and_keeps_the_history_across_restarts() {
    let server = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap()
        .unwrap();
    let location = Location::Url(server.url());
    let store = Store::open(&location).await.unwrap();
    assert_eq!(store.backend(), probe_server::store::Backend::Postgres);
    exercise(&store).await;
    store.close().await;
    let store = Store::open(&location).await.unwrap();
    assert_eq!(store.history("site.test", None, 50).await.unwrap().len(), 3);
    store.close().await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_url_or_an_absent_database_is_a_clear_error() {
    let error = Store::open(&Location::Url("mysql://db/probe".into()))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Url(_)), "{error}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://probe:hunter2@127.0.0.1:{port}/postgres");
    let error = Store::open(&Location::Url(url)).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::Open { .. }), "{message}");
    assert!(
        !message.contains("hunter2"),
        "no password in messages: {message}"
    );
}
