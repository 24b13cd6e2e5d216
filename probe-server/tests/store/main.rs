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

/// Watches and their alerts: a due slot is claimed by one caller at a time (also when many
/// ask at once), a run whose lease ran out cannot finish another's, alerts are stored once
/// per dedup key and delivered by one claimant at a time.
async fn exercise_watches(store: &Store) {
    use probe_server::store::watches::{NewAlert, NewWatch, SlotClaim, now_ms};
    let new = |host: &str| NewWatch {
        host: host.into(),
        port: 443,
        every_secs: 3600,
        webhook_url: Some("http://127.0.0.1:9/hook".into()),
        secret: "s3cret".into(),
    };
    let watch = store
        .add_watch(&new("watched.test"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.add_watch(&new("watched.test")).await.unwrap(),
        Err(watch.id),
        "one watch per target"
    );
    let slots = store.due_slots(now_ms(), 10).await.unwrap();
    assert_eq!(slots, vec![(watch.id, watch.next_due_ms)], "due at once");

    // Eight claimants at once: exactly one wins.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let (id, due) = (watch.id, watch.next_due_ms);
        tasks.push(tokio::spawn(async move {
            store.claim_slot(id, due, 60_000).await.unwrap()
        }));
    }
    let mut claims = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            SlotClaim::Claimed(claim) => claims.push(claim),
            SlotClaim::Busy => {}
            SlotClaim::Done => panic!("the slot is not done yet"),
        }
    }
    assert_eq!(claims.len(), 1, "one run at a time");
    let claim = claims.pop().unwrap();
    assert_eq!(claim.secret, "s3cret");
    assert_eq!(store.claim_next_due(60_000).await.unwrap(), None);

    // A run whose lease ran out (a negative lease: expired at once) is taken over, and the
    // first runner's finish is then refused.
    let stale = {
        let other = store.add_watch(&new("stale.test")).await.unwrap().unwrap();
        let SlotClaim::Claimed(stale) = store
            .claim_slot(other.id, other.next_due_ms, -1_000)
            .await
            .unwrap()
        else {
            panic!("a free slot is claimed");
        };
        let SlotClaim::Claimed(taken_over) = store
            .claim_slot(other.id, other.next_due_ms, 60_000)
            .await
            .unwrap()
        else {
            panic!("an expired claim is taken over");
        };
        assert!(
            !store.finish_run(&stale, None, None).await.unwrap(),
            "fenced"
        );
        assert!(
            store
                .finish_run(&taken_over, None, Some("down"))
                .await
                .unwrap()
        );
        store.watch(other.id).await.unwrap().unwrap()
    };
    assert_eq!(stale.runs, 1);
    assert_eq!(stale.last_error.as_deref(), Some("down"));

    assert!(store.finish_run(&claim, Some(7), None).await.unwrap());
    assert_eq!(
        store
            .claim_slot(watch.id, watch.next_due_ms, 60_000)
            .await
            .unwrap(),
        SlotClaim::Done,
        "the slot was run"
    );
    let after = store.watch(watch.id).await.unwrap().unwrap();
    assert_eq!((after.runs, after.last_scan_id), (1, Some(7)));
    assert!(
        after.next_due_ms >= now_ms() + 3_590_000,
        "due again in an hour"
    );
    assert!(store.make_due(watch.id).await.unwrap());
    assert_eq!(store.watch(watch.id).await.unwrap().unwrap().runs, 1);

    // Alerts: once per key; one delivery claim at a time; retried; delivered.
    let alert = NewAlert {
        kind: "certificate-replaced".into(),
        dedup_key: "certificate:ab".into(),
        payload: "{\"text\":\"x\"}".into(),
    };
    assert_eq!(
        store
            .insert_alerts(watch.id, std::slice::from_ref(&alert), true)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.insert_alerts(watch.id, &[alert], true).await.unwrap(),
        0,
        "de-duplicated"
    );
    let delivery = store.claim_delivery(60_000).await.unwrap().unwrap();
    assert_eq!(delivery.webhook_url, "http://127.0.0.1:9/hook");
    assert_eq!(delivery.attempts, 0);
    assert!(
        store.claim_delivery(60_000).await.unwrap().is_none(),
        "held"
    );
    store
        .alert_attempted(delivery.alert_id, 1, Some(now_ms() - 1), Some("HTTP 500"))
        .await
        .unwrap();
    let again = store.claim_delivery(60_000).await.unwrap().unwrap();
    assert_eq!((again.alert_id, again.attempts), (delivery.alert_id, 1));
    store
        .alert_attempted(again.alert_id, 2, None, None)
        .await
        .unwrap();
    let rows = store.alerts(watch.id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("delivered", 2));
    assert!(rows[0].delivered_at.is_some());

    assert!(store.remove_watch(watch.id).await.unwrap());
    assert!(!store.remove_watch(watch.id).await.unwrap());
    assert!(store.alerts(watch.id).await.unwrap().is_empty());
    assert_eq!(store.watches().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_claims_are_exclusive_on_sqlite_and_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&Location::DataDir(dir.path().to_owned()))
        .await
        .unwrap();
    exercise_watches(&sqlite).await;
    sqlite.close().await;
    let server = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap()
        .unwrap();
    let postgres = Store::open(&Location::Url(server.url())).await.unwrap();
    exercise_watches(&postgres).await;
    postgres.close().await;
    drop(server);
}
