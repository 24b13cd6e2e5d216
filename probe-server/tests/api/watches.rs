//! Watched sites (`/api/v1/watches`, `probe-server watch`): real TLS servers rescanned, a
//! real webhook receiver on loopback (the HMAC checked here, independently), and replicas of
//! the real binary sharing one real Redis and one store: each due scan runs once, a replica
//! killed with SIGKILL in the middle of one leaves it to another after the lease, and Redis
//! stopped and restarted loses nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac as _};
use probe_server::store::{Location, Store};
use probe_server::target::resolve::StaticResolver;
use sha2::Sha256;
use testbed::{HttpAnswer, LeafSpec, RedisServer, TestPki, TlsServer, TlsServerSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::cli::{Served, command, serve};
use crate::helpers::{AppSpec, SlowRelay, closed_port, error_of, good_server, spawn_app};

const TOKEN: &str = "watches-test-token-0123456789";

/// Polls `check` every 50 ms until it holds, at most `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within {limit:?}");
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A webhook receiver: answers each POST with the next status of `statuses` (then 200) and
/// keeps what it got. Stops when dropped.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(statuses.to_vec()));
        let sink = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let sink = sink.clone();
                let statuses = statuses.clone();
                tokio::spawn(async move {
                    let answer = tokio::time::timeout(Duration::from_secs(10), async {
                        let request = read_request(socket).await;
                        if let Some((request, mut socket)) = request {
                            let status = {
                                let mut left = statuses.lock().unwrap();
                                if left.is_empty() { 200 } else { left.remove(0) }
                            };
                            sink.lock().unwrap().push(request);
                            let reply = format!(
                                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            );
                            let _ = socket.write_all(reply.as_bytes()).await;
                        }
                    });
                    let _ = answer.await;
                });
            }
        });
        Self {
            url,
            received,
            task,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP/1.1 request (head and a Content-Length body, at most 1 MiB).
async fn read_request(mut socket: TcpStream) -> Option<(Received, TcpStream)> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut buffer).await.ok()?;
        if n == 0 || data.len() > 1 << 20 {
            return None;
        }
        data.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut headers = HashMap::new();
    for line in head.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    while data.len() < head_end + length {
        let n = socket.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buffer[..n]);
    }
    let body = data[head_end..head_end + length].to_vec();
    headers.insert(
        ":request-line".into(),
        head.lines().next().unwrap_or_default().to_owned(),
    );
    Some((Received { headers, body }, socket))
}

/// A TCP relay to an upstream that can be switched: the same host and port served by another
/// server (a certificate replaced). Stops when dropped.
struct SwitchRelay {
    port: u16,
    upstream: Arc<Mutex<SocketAddr>>,
    task: JoinHandle<()>,
}

impl SwitchRelay {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let upstream = Arc::new(Mutex::new(upstream));
        let current = upstream.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let to = *current.lock().unwrap();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                        let _ = tokio::time::timeout(Duration::from_secs(30), copy).await;
                    }
                });
            }
        });
        Self {
            port,
            upstream,
            task,
        }
    }

    fn switch(&self, to: SocketAddr) {
        *self.upstream.lock().unwrap() = to;
    }
}

impl Drop for SwitchRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The HMAC-SHA256 of `body` under `secret`, computed here (not with the probe's code).
fn expected_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn open(dir: &Path) -> Store {
    Store::open(&Location::DataDir(dir.to_owned()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_are_alerted_once_signed_and_a_delivery_answered_500_is_retried() {
    let pki = TestPki::new();
    let first = good_server(&pki, "swap.test").await;
    // The replacement: another key, the same HSTS; then the same certificate without HSTS
    // (the grade falls, a medium finding appears).
    let replacement = pki.leaf(&LeafSpec::valid("swap.test"));
    let mut with_hsts = TlsServerSpec::new(&replacement, &[pki.intermediate_der()]);
    with_hsts.answer = HttpAnswer::with_hsts("max-age=31536000");
    let second = TlsServer::start(with_hsts).await;
    let third = TlsServer::start(TlsServerSpec::new(&replacement, &[pki.intermediate_der()])).await;
    let relay = SwitchRelay::start(loopback(first.port())).await;
    // The first delivery is answered 500: it must be retried.
    let receiver = Receiver::start(&[500]).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.resolver = Some(Arc::new(
        StaticResolver::new().with("swap.test", &[IpAddr::from([127, 0, 0, 1])]),
    ));
    spec.access.token = Some(TOKEN.into());
    spec.store = Some(store.clone());
    spec.watches.retry = Duration::from_millis(200);
    let app = spawn_app(spec).await;

    let added = app
        .client
        .post(format!("{}/api/v1/watches", app.base))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({
            "host": "swap.test", "port": relay.port, "every": "1h", "webhook": receiver.url,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let added: serde_json::Value = added.json().await.unwrap();
    let id = added["watch"]["id"].as_i64().unwrap();
    let secret = added["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    let runs = |n: u64| {
        let store = store.clone();
        move || {
            let store = store.clone();
            async move { store.watch(id).await.unwrap().unwrap().runs >= n }
        }
    };

    // The first scan: nothing changed since no previous scan, the certificate is far from
    // expiring: no alert.
    eventually(Duration::from_secs(60), "the first scan", runs(1)).await;
    let watch = store.watch(id).await.unwrap().unwrap();
    assert_eq!(watch.last_error, None);
    assert!(watch.last_scan_id.is_some());
    assert!(store.alerts(id).await.unwrap().is_empty());

    // The certificate replaced: one alert, delivered on its second try (the first was
    // answered 500), signed.
    relay.switch(loopback(second.port()));
    assert!(store.make_due(id).await.unwrap());
    eventually(Duration::from_secs(60), "the second scan", runs(2)).await;
    let alerts = store.alerts(id).await.unwrap();
    let kinds: Vec<&str> = alerts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["certificate-replaced"], "{alerts:?}");
    let delivered = |n: usize| {
        let store = store.clone();
        move || {
            let store = store.clone();
            async move {
                let rows = store.alerts(id).await.unwrap();
                rows.len() == n && rows.iter().all(|a| a.state == "delivered")
            }
        }
    };
    eventually(Duration::from_secs(30), "delivered", delivered(1)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2, "one alert, retried once: {received:?}");
    for request in &received {
        assert_eq!(request.headers[":request-line"], "POST /hook HTTP/1.1");
        assert_eq!(request.headers["content-type"], "application/json");
        assert_eq!(
            request.headers["x-probe-signature"],
            expected_signature(&secret, &request.body),
            "signed with the watch's secret"
        );
        assert_eq!(request.headers["x-probe-alert"], alerts[0].id.to_string());
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert!(
            body["text"].as_str().unwrap().contains("swap.test")
                && body["text"].as_str().unwrap().contains("replaced"),
            "{body}"
        );
        assert_eq!(body["watch"]["id"], id);
        assert_eq!(body["kind"], "certificate-replaced");
        assert_ne!(body["change"]["from_sha256"], body["change"]["to_sha256"]);
    }
    assert_eq!(received[0].body, received[1].body, "the same alert again");
    assert_eq!(store.alerts(id).await.unwrap()[0].attempts, 2);

    // Scanned again, nothing changed: no new alert.
    assert!(store.make_due(id).await.unwrap());
    eventually(Duration::from_secs(60), "the third scan", runs(3)).await;
    assert_eq!(store.alerts(id).await.unwrap().len(), 1);

    // HSTS gone: the grade fell and a medium finding appeared; both delivered at once.
    relay.switch(loopback(third.port()));
    assert!(store.make_due(id).await.unwrap());
    eventually(Duration::from_secs(60), "the fourth scan", runs(4)).await;
    let alerts = store.alerts(id).await.unwrap();
    let keys: Vec<&str> = alerts
        .iter()
        .skip(1)
        .map(|a| a.dedup_key.as_str())
        .collect();
    assert_eq!(keys.len(), 2, "{alerts:?}");
    assert!(
        keys.iter().any(|k| k.starts_with("grade-fell:")),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|k| k.starts_with("finding:no-hsts:")),
        "{keys:?}"
    );
    eventually(Duration::from_secs(30), "delivered", delivered(3)).await;
    assert_eq!(receiver.received().len(), 4);

    // The site stops answering: one alert, and none more while it stays down.
    relay.switch(loopback(closed_port()));
    for run in [5, 6] {
        assert!(store.make_due(id).await.unwrap());
        eventually(Duration::from_secs(60), "a failed scan", runs(run)).await;
    }
    let watch = store.watch(id).await.unwrap().unwrap();
    assert!(watch.last_error.is_some());
    let alerts = store.alerts(id).await.unwrap();
    assert_eq!(alerts.len(), 4, "{alerts:?}");
    assert_eq!(alerts[3].kind, "unreachable");
    eventually(Duration::from_secs(30), "delivered", delivered(4)).await;
    assert_eq!(receiver.received().len(), 5);

    let listed: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/watches", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["watches"][0]["id"], id);
    assert_eq!(listed["watches"][0]["runs"], 6);
    assert!(listed["watches"][0].get("secret").is_none(), "never listed");
    let shown: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/watches/{id}", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["watch"]["id"], id);
    assert_eq!(shown["alerts"].as_array().unwrap().len(), 4);
    assert!(
        shown["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["state"] == "delivered")
    );
    let delete = |path: String| {
        app.client
            .delete(format!("{}{path}", app.base))
            .bearer_auth(TOKEN)
            .send()
    };
    assert_eq!(
        delete(format!("/api/v1/watches/{id}"))
            .await
            .unwrap()
            .status(),
        200
    );
    let (status, _) = error_of(delete(format!("/api/v1/watches/{id}")).await.unwrap()).await;
    assert_eq!(status, 404);
    assert_eq!(receiver.received().len(), 5);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "probe_watch_runs_total{outcome=\"report\"} 4",
        "probe_watch_runs_total{outcome=\"failed\"} 2",
        "probe_alert_deliveries_total{outcome=\"delivered\"} 4",
        "probe_alert_deliveries_total{outcome=\"retry\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn watches_are_checked_like_scan_targets_when_added() {
    let pki = TestPki::new();
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut spec = AppSpec::new(&pki).public_only();
    spec.resolver = Some(Arc::new(
        StaticResolver::new()
            .with("hooks.test", &[IpAddr::from([151, 101, 1, 69])])
            .with("inside.test", &[IpAddr::from([10, 3, 4, 5])]),
    ));
    spec.access.token = Some(TOKEN.into());
    spec.store = Some(store.clone());
    // Nothing is scanned here (the targets are not real).
    spec.watches.enabled = false;
    let app = spawn_app(spec).await;
    let post = |body: serde_json::Value, token: bool| {
        let mut request = app
            .client
            .post(format!("{}/api/v1/watches", app.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if token {
            request = request.bearer_auth(TOKEN);
        }
        request.send()
    };
    let ok = serde_json::json!({"host": "site.test", "webhook": "https://hooks.test/x"});
    let (status, _) = error_of(post(ok.clone(), false).await.unwrap()).await;
    assert_eq!(status, 401, "behind the token");
    for (body, status, code) in [
        (
            serde_json::json!({"host": "site.test", "every": "1m"}),
            400,
            "bad_request",
        ),
        (
            serde_json::json!({"host": "site.test", "every": "soon"}),
            400,
            "bad_request",
        ),
        (
            serde_json::json!({"host": "site.test", "port": 8443}),
            403,
            "target_forbidden",
        ),
        (
            serde_json::json!({"host": "10.0.0.1"}),
            403,
            "target_forbidden",
        ),
        (serde_json::json!({"host": "a b"}), 400, "bad_target"),
        (
            serde_json::json!({"host": "site.test", "webhook": "ftp://hooks.test/"}),
            400,
            "bad_request",
        ),
        (
            serde_json::json!({"host": "site.test", "webhook": "http://127.0.0.1:443/"}),
            403,
            "target_forbidden",
        ),
        (
            serde_json::json!({"host": "site.test", "webhook": "https://inside.test/"}),
            403,
            "target_forbidden",
        ),
        (
            serde_json::json!({"host": "site.test", "webhook": "https://hooks.test:9000/"}),
            403,
            "target_forbidden",
        ),
        (
            serde_json::json!({"host": "site.test", "colour": "red"}),
            400,
            "bad_request",
        ),
    ] {
        let (got, error) = error_of(post(body.clone(), true).await.unwrap()).await;
        assert_eq!(
            (got, serde_json::to_value(error.error).unwrap()),
            (status, serde_json::json!(code)),
            "{body}: {}",
            error.message
        );
    }
    let added = post(ok.clone(), true).await.unwrap();
    assert_eq!(added.status(), 201);
    assert!(added.headers().contains_key("location"));
    let (status, error) = error_of(post(ok, true).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        error.message.contains("watched already"),
        "{}",
        error.message
    );
    let (status, _) = error_of(
        app.client
            .delete(format!("{}/api/v1/watches/abc", app.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(store.watches().await.unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_adds_lists_and_removes_watches_and_refuses_bad_schedules() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let run = |args: Vec<&str>| {
        let mut all = vec!["watch"];
        all.extend(args);
        all.extend(["--data-dir", data.as_str()]);
        let mut c = command(&all, &[]);
        async move { c.output().await.unwrap() }
    };
    let bad = run(vec!["add", "site.test", "--every", "90s"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("every 5m"));
    let bad = run(vec!["add", "site.test", "--webhook", "ftp://x.test/"]).await;
    assert_eq!(bad.status.code(), Some(2));
    let added = run(vec!["add", "site.test:8443", "--every", "1d"]).await;
    assert_eq!(added.status.code(), Some(0), "{added:?}");
    assert!(String::from_utf8_lossy(&added.stdout).contains("webhook secret"));
    let again = run(vec!["add", "site.test:8443"]).await;
    assert_eq!(again.status.code(), Some(2));
    let listed = run(vec!["list", "--json"]).await;
    let watch: serde_json::Value =
        serde_json::from_slice(listed.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(
        (watch["host"].as_str(), watch["port"].as_u64()),
        (Some("site.test"), Some(8443))
    );
    assert_eq!(watch["every_secs"], 86_400);
    let id = watch["id"].to_string();
    assert_eq!(run(vec!["scan", &id]).await.status.code(), Some(0));
    assert_eq!(run(vec!["remove", &id]).await.status.code(), Some(0));
    assert_eq!(run(vec!["remove", &id]).await.status.code(), Some(2));
}

async fn redis() -> RedisServer {
    tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap()
        .expect("redis-server starts (apt-get install redis-server)")
}

/// A replica of the real binary: the shared store in `data`, `redis`, `rules` as
/// `--connect-to`, scans of at most 3 s, a lease of 5 s, polling every 100 ms.
async fn replica(pki: &TestPki, data: &str, redis: &str, rules: &[String]) -> Served {
    let root = pki.root_pem().display().to_string();
    let mut args = vec![
        "--allow-private",
        "--ca-file",
        &root,
        "--timeout",
        "3",
        "--watch-lease",
        "5",
        "--watch-poll",
        "0.1",
        "--data-dir",
        data,
        "--redis",
        redis,
    ];
    for rule in rules {
        args.extend(["--connect-to", rule.as_str()]);
    }
    serve(&args, &[]).await
}

fn scanned(replicas: &[&Served]) -> usize {
    replicas
        .iter()
        .flat_map(|r| r.logs())
        .filter(|line| line.contains("\"watch scanned\""))
        .count()
}

async fn stream_length(redis: &RedisServer) -> Option<i64> {
    let client = redis::Client::open(redis.url()).ok()?;
    let mut connection = client.get_multiplexed_async_connection().await.ok()?;
    redis::cmd("XLEN")
        .arg("probe:v1:watch-jobs")
        .query_async(&mut connection)
        .await
        .ok()
}

async fn watch_cli(data: &str, args: &[&str]) -> String {
    let mut all = vec!["watch"];
    all.extend_from_slice(args);
    all.extend(["--data-dir", data]);
    let output = command(&all, &[]).output().await.unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_replicas_run_each_due_scan_once_and_redis_going_away_loses_none() {
    let pki = TestPki::new();
    let mut redis = redis().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let names = ["w0.test", "w1.test", "w2.test"];
    let mut servers = Vec::new();
    let mut rules = Vec::new();
    for name in names {
        let server = good_server(&pki, name).await;
        rules.push(format!("{name}:443:127.0.0.1:{}", server.port()));
        servers.push(server);
        watch_cli(&data, &["add", name, "--every", "1h"]).await;
    }
    let store = open(dir.path()).await;
    let ids: Vec<i64> = store
        .watches()
        .await
        .unwrap()
        .iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(ids.len(), 3);
    // All three due at once, three replicas racing for them.
    let url = redis.url();
    let a = replica(&pki, &data, &url, &rules).await;
    let b = replica(&pki, &data, &url, &rules).await;
    let c = replica(&pki, &data, &url, &rules).await;
    let all_ran = |n: u64| {
        let store = store.clone();
        let ids = ids.clone();
        move || {
            let store = store.clone();
            let ids = ids.clone();
            async move {
                let watches = store.watches().await.unwrap();
                watches.len() == ids.len() && watches.iter().all(|w| w.runs >= n)
            }
        }
    };
    let history_counts = |store: Store| async move {
        let mut counts = Vec::new();
        for name in names {
            counts.push(store.history(name, Some(443), 50).await.unwrap().len());
        }
        counts
    };

    eventually(Duration::from_secs(90), "every watch ran", all_ran(1)).await;
    eventually(Duration::from_secs(10), "every job acknowledged", || {
        let redis = &redis;
        async move { stream_length(redis).await == Some(0) }
    })
    .await;
    assert_eq!(
        history_counts(store.clone()).await,
        [1, 1, 1],
        "one scan each"
    );
    assert!(store.watches().await.unwrap().iter().all(|w| w.runs == 1));
    eventually(Duration::from_secs(5), "three runs logged", || async {
        scanned(&[&a, &b, &c]) >= 3
    })
    .await;
    assert_eq!(scanned(&[&a, &b, &c]), 3, "each ran once, by one replica");

    // Redis gone: the replicas claim due watches from the store themselves, still once each.
    redis.stop();
    for id in &ids {
        watch_cli(&data, &["scan", &id.to_string()]).await;
    }
    eventually(
        Duration::from_secs(90),
        "every watch ran without Redis",
        all_ran(2),
    )
    .await;
    assert_eq!(history_counts(store.clone()).await, [2, 2, 2]);

    // Redis back (empty: no stream, no group): the stream is used again.
    let redis = tokio::task::spawn_blocking(move || {
        redis.restart().expect("redis-server restarts");
        redis
    })
    .await
    .unwrap();
    for id in &ids {
        watch_cli(&data, &["scan", &id.to_string()]).await;
    }
    eventually(
        Duration::from_secs(90),
        "every watch ran after Redis came back",
        all_ran(3),
    )
    .await;
    eventually(Duration::from_secs(10), "every job acknowledged", || {
        let redis = &redis;
        async move { stream_length(redis).await == Some(0) }
    })
    .await;
    assert_eq!(history_counts(store.clone()).await, [3, 3, 3]);
    assert!(store.watches().await.unwrap().iter().all(|w| w.runs == 3));
    eventually(Duration::from_secs(5), "nine runs logged", || async {
        scanned(&[&a, &b, &c]) >= 9
    })
    .await;
    assert_eq!(scanned(&[&a, &b, &c]), 9);
    for replica in [a, b, c] {
        assert_eq!(replica.terminate(Duration::from_secs(20)).await, Some(0));
    }
    drop(servers);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_killed_mid_run_leaves_its_job_to_another_after_the_lease() {
    let pki = TestPki::new();
    let redis = redis().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    // Replica A reaches `dead.test` through a relay that holds every connection: its run
    // hangs in the scan, and A is killed -9 there.
    let hold = SlowRelay::start(loopback(closed_port()), Duration::from_secs(60)).await;
    watch_cli(&data, &["add", "dead.test", "--every", "1h"]).await;
    let store = open(dir.path()).await;
    let id = store.watches().await.unwrap()[0].id;
    let mut a = replica(
        &pki,
        &data,
        &redis.url(),
        &[format!("dead.test:443:127.0.0.1:{}", hold.port)],
    )
    .await;
    eventually(Duration::from_secs(30), "A started the run", || async {
        hold.connections() > 0
    })
    .await;
    assert_eq!(stream_length(&redis).await, Some(1), "the job, taken by A");
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
    assert_eq!(store.watch(id).await.unwrap().unwrap().runs, 0);

    // B and C reach the real site: one of them takes the job over once A's lease (5 s) ran
    // out, and runs it once.
    let server = good_server(&pki, "dead.test").await;
    let rule = format!("dead.test:443:127.0.0.1:{}", server.port());
    let b = replica(&pki, &data, &redis.url(), std::slice::from_ref(&rule)).await;
    let c = replica(&pki, &data, &redis.url(), std::slice::from_ref(&rule)).await;
    eventually(
        Duration::from_secs(60),
        "the job completed on another replica",
        || {
            let store = store.clone();
            async move { store.watch(id).await.unwrap().unwrap().runs >= 1 }
        },
    )
    .await;
    eventually(Duration::from_secs(10), "the job acknowledged", || {
        let redis = &redis;
        async move { stream_length(redis).await == Some(0) }
    })
    .await;
    let watch = store.watch(id).await.unwrap().unwrap();
    assert_eq!((watch.runs, watch.last_error.as_deref()), (1, None));
    assert_eq!(
        store
            .history("dead.test", Some(443), 50)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(server.connections() > 0, "scanned by B or C");
    eventually(Duration::from_secs(5), "the run logged", || async {
        scanned(&[&b, &c]) >= 1
    })
    .await;
    assert_eq!(scanned(&[&b, &c]), 1, "by one of them");
    for replica in [b, c] {
        assert_eq!(replica.terminate(Duration::from_secs(20)).await, Some(0));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_webhook_is_delivered_only_to_a_receiver_whose_certificate_verifies() {
    let pki = TestPki::new();
    // A site whose certificate expires in 10 days: its first scan already alerts.
    let mut soon = LeafSpec::valid("expiring.test");
    soon.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(10);
    let site = TlsServer::start(TlsServerSpec::new(
        &pki.leaf(&soon),
        &[pki.intermediate_der()],
    ))
    .await;
    // Receivers over TLS: one with a certificate for its name, one for another name.
    let good_hook = good_server(&pki, "hooks.test").await;
    let wrong_hook = good_server(&pki, "other.test").await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut spec = AppSpec::new(&pki).unlimited();
    let loopback_ip = [IpAddr::from([127, 0, 0, 1])];
    spec.resolver = Some(Arc::new(
        StaticResolver::new()
            .with("expiring.test", &loopback_ip)
            .with("again.expiring.test", &loopback_ip)
            .with("hooks.test", &loopback_ip),
    ));
    spec.connect_to = vec![
        format!("expiring.test:443:127.0.0.1:{}", site.port()),
        format!("again.expiring.test:443:127.0.0.1:{}", site.port()),
        format!("hooks.test:9:127.0.0.1:{}", wrong_hook.port()),
    ];
    spec.store = Some(store.clone());
    spec.watches.retry = Duration::from_secs(60);
    let app = spawn_app(spec).await;
    let add = |host: &str, webhook: String| {
        let store = store.clone();
        let host = host.to_owned();
        async move {
            store
                .add_watch(&probe_server::store::watches::NewWatch {
                    host,
                    port: 443,
                    every_secs: 3600,
                    webhook_url: Some(webhook),
                    secret: "k".into(),
                })
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let verified = add(
        "expiring.test",
        format!("https://hooks.test:{}/hook", good_hook.port()),
    )
    .await;
    // Port 9 is sent (by --connect-to) to the server with other.test's certificate.
    let refused = add("again.expiring.test", "https://hooks.test:9/hook".into()).await;
    let attempted = |id: i64| {
        let store = store.clone();
        move || {
            let store = store.clone();
            async move {
                store
                    .alerts(id)
                    .await
                    .unwrap()
                    .first()
                    .is_some_and(|a| a.attempts >= 1)
            }
        }
    };
    eventually(Duration::from_secs(60), "delivered", attempted(verified)).await;
    eventually(Duration::from_secs(60), "attempted", attempted(refused)).await;
    let ok = &store.alerts(verified).await.unwrap()[0];
    assert_eq!(
        (ok.kind.as_str(), ok.state.as_str()),
        ("certificate-expires", "delivered")
    );
    assert!(good_hook.connections() > 0);
    let not = &store.alerts(refused).await.unwrap()[0];
    assert_eq!(not.state, "pending", "to be retried: {not:?}");
    let error = not.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("TLS"), "{error}");
    app.stop().await;
}
