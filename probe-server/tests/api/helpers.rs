use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use probe_server::pki::trust::TrustStore;
use probe_server::scan::{Scanner, Timeouts};
use probe_server::server::{
    AccessConfig, Application, CacheConfig, HttpConfig, Limits, ServeConfig, ShutdownHandle,
};
use probe_server::target::address_policy::AddressPolicy;
use probe_server::target::connect_to::ConnectTo;
use probe_server::target::resolve::Resolve;
use shared::ApiError;
use testbed::{HttpAnswer, LeafSpec, TestPki, TlsServer, TlsServerSpec};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running API server and a client for it.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) address: SocketAddr,
    pub(crate) client: reqwest::Client,
    pub(crate) shutdown: ShutdownHandle,
    pub(crate) task: JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub(crate) async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .expect("request")
    }

    /// `GET` with extra headers.
    pub(crate) async fn get_with(
        &self,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path_and_query}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }

    /// Stops the server (as SIGTERM would) and waits until it has.
    pub(crate) async fn stop(self) {
        self.shutdown.shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
    }
}

/// How the app under test is set up: the defaults of `serve`, except that any address and
/// port may be scanned (tests scan loopback) and signals are left alone.
pub(crate) struct AppSpec<'a> {
    pub(crate) pki: &'a TestPki,
    pub(crate) connect_to: Vec<String>,
    pub(crate) policy: AddressPolicy,
    pub(crate) resolver: Option<Arc<dyn Resolve>>,
    pub(crate) scan_timeout: Duration,
    /// The first-byte timeout; `None`: the default within `scan_timeout`.
    pub(crate) first_byte: Option<Duration>,
    pub(crate) access: AccessConfig,
    pub(crate) limits: Limits,
    pub(crate) cache: CacheConfig,
    pub(crate) http: HttpConfig,
    /// Where the app listens (port 0: a free one).
    pub(crate) listen: SocketAddr,
    /// The history (none by default).
    pub(crate) store: Option<probe_server::store::Store>,
    /// The replicas' Redis (`--redis`; none by default).
    pub(crate) redis: Option<String>,
    /// How watches run (polled every 50 ms here).
    pub(crate) watches: probe_server::server::WatchConfig,
}

impl<'a> AppSpec<'a> {
    pub(crate) fn new(pki: &'a TestPki) -> Self {
        Self {
            pki,
            connect_to: Vec::new(),
            policy: AddressPolicy::allow_all(),
            resolver: None,
            scan_timeout: Duration::from_secs(10),
            first_byte: None,
            access: AccessConfig::default(),
            limits: Limits::default(),
            cache: CacheConfig::default(),
            http: HttpConfig {
                workers: 1,
                handle_signals: false,
                ..HttpConfig::default()
            },
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store: None,
            redis: None,
            watches: probe_server::server::WatchConfig {
                poll: Duration::from_millis(50),
                ..probe_server::server::WatchConfig::default()
            },
        }
    }

    /// The server's own address rules (public only, port 443 only).
    pub(crate) fn public_only(mut self) -> Self {
        self.policy = AddressPolicy::public_only(Vec::new());
        self
    }

    /// No rate limits (for tests about something else).
    pub(crate) fn unlimited(mut self) -> Self {
        self.limits.client_scans_per_minute = 0;
        self.limits.target_scans_per_minute = 0;
        self.limits.refreshes_per_minute = 0;
        self
    }
}

/// Starts the real application on a free port.
pub(crate) async fn spawn_app(spec: AppSpec<'_>) -> TestApp {
    let mut scanner = Scanner::new(TrustStore::new(Some(spec.pki.root_pem())).unwrap());
    scanner.egress.connect_to = spec
        .connect_to
        .iter()
        .map(|r| ConnectTo::parse(r).unwrap())
        .collect();
    scanner.egress.policy = spec.policy;
    if let Some(resolver) = spec.resolver {
        scanner.egress.resolver = resolver;
    }
    scanner.timeouts = Timeouts::within(spec.scan_timeout);
    if let Some(first_byte) = spec.first_byte {
        scanner.timeouts.first_byte = first_byte;
    }
    let mut config = ServeConfig::new(spec.listen, scanner);
    config.access = spec.access;
    config.limits = spec.limits;
    config.cache = spec.cache;
    config.http = spec.http;
    config.store = spec.store;
    config.redis = spec.redis;
    config.watches = spec.watches;
    let app = Application::build(config).unwrap();
    let mut address = app.address();
    if address.ip().is_unspecified() {
        // Listening on every address: ask on IPv4 loopback.
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let shutdown = app.shutdown_handle();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        base: format!("http://{address}"),
        address,
        client: reqwest::Client::new(),
        shutdown,
        task,
    }
}

/// A healthy TLS server for `name`.
pub(crate) async fn good_server(pki: &TestPki, name: &str) -> TlsServer {
    let leaf = pki.leaf(&LeafSpec::valid(name));
    let mut spec = TlsServerSpec::new(&leaf, &[pki.intermediate_der()]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000");
    TlsServer::start(spec).await
}

/// The status and `ApiError` body of an error answer.
pub(crate) async fn error_of(response: reqwest::Response) -> (u16, ApiError) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "status {status}"
    );
    (status, response.json().await.expect("an ApiError body"))
}

/// A port that was free a moment ago (bound, then released).
pub(crate) fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A TCP relay that holds each connection for `delay` before passing it on to `upstream`:
/// a slow site, so scans take a while. Counts connections; stops when dropped.
pub(crate) struct SlowRelay {
    pub(crate) port: u16,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl SlowRelay {
    pub(crate) async fn start(upstream: SocketAddr, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                        let _ = tokio::time::timeout(Duration::from_secs(30), copy).await;
                    }
                });
            }
        });
        Self {
            port,
            connections,
            task,
        }
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SlowRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts connections and never answers (each held at most 30 s). Stops when dropped.
pub(crate) struct Tarpit {
    pub(crate) port: u16,
    task: JoinHandle<()>,
}

impl Tarpit {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(socket);
                });
            }
        });
        Self { port, task }
    }
}

impl Drop for Tarpit {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Asks `/readyz` until `done` holds for its answer (at most 2000
/// answers, each awaited: no timer).
pub(crate) async fn wait_for_readyz(app: &TestApp, done: impl Fn(&serde_json::Value) -> bool) {
    for _ in 0..2000 {
        let body: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
        if done(&body) {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("/readyz never showed the state waited for");
}
