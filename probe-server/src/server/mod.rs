//! The HTTP API, after the zero2prod layout: [`Application::build`] binds (port 0 works, for
//! tests) and [`routes::configure`] registers every route, so tests run the real thing.
//!
//! - [`access`]: who may ask (Host, Origin/CORS, token) and which client a request counts
//!   against.
//! - [`broker`]: from a request to a scan — policy, cache, single-flight, rate limits,
//!   admission.
//! - [`cache`], [`limits`], [`metrics`], [`stream`] (Server-Sent Events).
//!
//! Scans run on the runtime that built the application (the main runtime), HTTP on actix's
//! workers. On SIGTERM or SIGINT (or [`ShutdownHandle::shutdown`]) the probe stops taking
//! connections and scans, answers `/readyz` with 503, and finishes the scans in flight — and
//! the requests waiting for them — before it exits.

pub mod access;
mod api_error;
pub mod broker;
pub mod cache;
pub mod egress;
pub mod limits;
pub mod metrics;
mod routes;
pub mod shared;
mod stream;
mod watch_routes;
pub mod watches;

use std::net::{SocketAddr, TcpListener};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use tokio::sync::Notify;

pub use access::AccessConfig;
pub use api_error::ApiFailure;
pub use cache::CacheConfig;
pub use limits::Limits;
pub use routes::{ROUTES, Route, configure};
pub use watches::WatchConfig;

use self::access::Access;
use self::broker::ScanBroker;
use self::metrics::Metrics;
use crate::scan::Scanner;

/// The HTTP side's own limits, with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// actix worker threads serving HTTP (scans run on the main runtime).
    pub workers: usize,
    /// Open connections, over all workers; more wait in the listen backlog.
    pub max_connections: usize,
    /// The time a client has to send a request's head.
    pub request_timeout: Duration,
    /// How long an idle connection is kept open.
    pub keep_alive: Duration,
    /// The longest a shutdown waits for scans and requests in flight; `None`: the scan
    /// timeout plus the queue wait plus 5 s.
    pub shutdown_timeout: Option<Duration>,
    /// How often a quiet event stream sends a keep-alive comment.
    pub stream_keep_alive: Duration,
    /// Whether SIGTERM and SIGINT shut the server down (tests turn this off, so the test
    /// process keeps its default signal handling).
    pub handle_signals: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2)
                .min(8),
            max_connections: 1024,
            request_timeout: Duration::from_secs(5),
            keep_alive: Duration::from_secs(5),
            shutdown_timeout: None,
            stream_keep_alive: Duration::from_secs(15),
            handle_signals: true,
        }
    }
}

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub scanner: Scanner,
    pub access: AccessConfig,
    pub limits: Limits,
    pub cache: CacheConfig,
    pub http: HttpConfig,
    /// Where every full scan is recorded (`None`: nowhere) and `/api/v1/history` reads.
    pub store: Option<crate::store::Store>,
    /// The Redis the replicas share their report cache and rate limits through (`--redis`);
    /// `None`: this process's own structures only.
    pub redis: Option<String>,
    /// How watched sites are rescanned (with a store only).
    pub watches: WatchConfig,
}

impl ServeConfig {
    /// `scanner` served on `listen`, everything else at its defaults.
    pub fn new(listen: SocketAddr, scanner: Scanner) -> Self {
        Self {
            listen,
            scanner,
            access: AccessConfig::default(),
            limits: Limits::default(),
            cache: CacheConfig::default(),
            http: HttpConfig::default(),
            store: None,
            redis: None,
            watches: WatchConfig::default(),
        }
    }

    /// The longest a shutdown waits.
    pub fn shutdown_timeout(&self) -> Duration {
        self.http
            .shutdown_timeout
            .unwrap_or(self.scanner.timeouts.scan + self.limits.queue_wait + Duration::from_secs(5))
    }
}

/// State shared by every request.
#[derive(Debug)]
pub struct AppState {
    pub broker: Arc<ScanBroker>,
    pub access: Access,
    pub metrics: Arc<Metrics>,
    /// See [`HttpConfig::stream_keep_alive`].
    pub stream_keep_alive: Duration,
    /// The history `/api/v1/history` reads (`None`: kept nowhere).
    pub store: Option<crate::store::Store>,
    /// The rules a watch's target and webhook are checked against when it is added.
    pub egress: crate::target::egress::Egress,
}

/// Asks a running [`Application`] to shut down gracefully.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<Notify>);

impl ShutdownHandle {
    pub fn shutdown(&self) {
        self.0.notify_one();
    }
}

/// A bound, not yet running server.
pub struct Application {
    address: SocketAddr,
    server: Server,
    state: web::Data<AppState>,
    shutdown: Arc<Notify>,
    shutdown_timeout: Duration,
    handle_signals: bool,
    /// What the watch runner needs, started with the server.
    watch_runner: Option<WatchParts>,
}

/// What [`watches::WatchRunner::start`] takes: the scanner, the store, the Redis, the
/// settings and the metrics.
type WatchParts = (
    crate::scan::Scanner,
    crate::store::Store,
    Option<Arc<shared::RedisShared>>,
    WatchConfig,
    Arc<Metrics>,
);

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `config.listen` and builds the server. Must be called within a tokio runtime:
    /// scans run on it.
    pub fn build(config: ServeConfig) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            std::io::Error::other("Application::build must be called within a tokio runtime")
        })?;
        let listener = TcpListener::bind(config.listen)?;
        let address = listener.local_addr()?;
        let shutdown_timeout = config.shutdown_timeout();
        let metrics = Arc::new(Metrics::default());
        let shared = config
            .redis
            .as_deref()
            .map(|url| shared::RedisShared::new(url, metrics.clone()))
            .transpose()
            .map_err(std::io::Error::other)?;
        let watch_runner = match &config.store {
            Some(store) if config.watches.enabled => Some((
                config.scanner.clone(),
                store.clone(),
                shared.clone(),
                config.watches.clone(),
                metrics.clone(),
            )),
            _ => None,
        };
        let egress = config.scanner.egress.clone();
        let broker = Arc::new(
            ScanBroker::new(
                config.scanner,
                &config.limits,
                config.cache,
                metrics.clone(),
                runtime,
            )
            .with_store(config.store.clone())
            .with_shared(shared),
        );
        let state = web::Data::new(AppState {
            broker,
            access: Access::new(&config.access, address),
            metrics,
            stream_keep_alive: config.http.stream_keep_alive,
            store: config.store,
            egress,
        });
        let http = config.http;
        let handle_signals = http.handle_signals;
        let workers = http.workers.max(1);
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(from_fn(access::guard))
                .configure(configure)
        })
        .workers(workers)
        .max_connections(http.max_connections.div_ceil(workers).max(1))
        .backlog(1024)
        .client_request_timeout(http.request_timeout)
        .client_disconnect_timeout(Duration::from_secs(1))
        .keep_alive(http.keep_alive)
        .shutdown_timeout(shutdown_timeout.as_secs().max(1))
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Self {
            address,
            server,
            state,
            shutdown: Arc::new(Notify::new()),
            shutdown_timeout,
            handle_signals,
            watch_runner,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A handle that shuts the server down as SIGTERM would (for tests and embedders).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Serves until SIGTERM, SIGINT or [`ShutdownHandle::shutdown`], then shuts down
    /// gracefully (see the module docs).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            state,
            shutdown,
            shutdown_timeout,
            handle_signals,
            watch_runner,
            ..
        } = self;
        let watch_runner = watch_runner.map(|(scanner, store, shared, config, metrics)| {
            watches::WatchRunner::start(scanner, store, shared, config, metrics)
        });
        let handle = server.handle();
        let mut server = pin!(server);
        tokio::select! {
            result = &mut server => return result,
            () = stop_requested(&shutdown, handle_signals) => {}
        }
        let broker = state.broker.clone();
        let running = broker.gauges();
        tracing::info!(
            scans_in_flight = running.in_flight,
            queued = running.queued,
            "shutting down: no new scans; finishing those in flight"
        );
        broker.drain();
        if let Some(runner) = &watch_runner {
            runner.stop_taking();
        }
        // Stops accepting connections now; waits for the requests in flight.
        let stopping = tokio::spawn(handle.stop(true));
        let result = server.await;
        let _ = stopping.await;
        // A watch run in hand is recorded before the process exits (else another replica
        // takes it over after its lease).
        if let Some(runner) = watch_runner {
            runner.stop(shutdown_timeout).await;
        }
        // Scans whose clients went away still finish (their reports land in the cache of a
        // process that is exiting, but a scan is never cut off half-way).
        if !broker.wait_idle(shutdown_timeout).await {
            tracing::warn!("shutdown timeout: scans still running are abandoned");
        }
        tracing::info!("stopped");
        result
    }
}

/// SIGTERM, SIGINT, or the handle.
async fn stop_requested(handle: &Notify, signals: bool) {
    let notified = handle.notified();
    if !signals {
        notified.await;
        return;
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for signals; stop the probe with SIGKILL");
            notified.await;
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
            () = notified => {}
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = notified => {}
        }
    }
}
