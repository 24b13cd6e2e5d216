//! The settings of `probe-server serve`, in layers: the built-in defaults, then an optional
//! TOML file (`--config`), then environment variables, then flags — each layer overriding
//! the ones before it.
//!
//! [`ServeOptions`] is both the flags (clap, which also reads the `PROBE_*` environment
//! variables) and the TOML file (serde): a file key is the long flag's name with `_` for `-`
//! (`max_scans = 32`). Every option is optional at this stage, so a layer that does not set
//! one leaves the one below; list options given by flags or environment replace the file's
//! list. `figment` lays the set options over the file ([`ServeOptions::over_toml`]), and
//! [`ServeOptions::into_settings`] then fills in the defaults, checks every value, and builds
//! the server's configuration.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, ValueEnum};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::scan::settings::ScannerSettings;
use crate::server::{AccessConfig, CacheConfig, HttpConfig, Limits, ServeConfig};
use crate::target::address_policy::{AddressPolicy, PortRange};

/// The address `serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7443";
/// The whole-scan time limit unless told otherwise, in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 30.0;

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// How logs are written (to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Every option of `serve` (see the module docs for the layers). Defaults are in brackets.
#[derive(Debug, Clone, Default, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServeOptions {
    /// A TOML file of settings: keys are the long flags with `_` for `-` (`max_scans = 32`,
    /// `allow_port = [8443, "9000-9100"]`). Environment variables and flags override it.
    #[arg(long, value_name = "FILE", env = "PROBE_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Address and port to listen on. [default: 127.0.0.1:7443]
    #[arg(long, value_name = "ADDRESS:PORT", env = "PROBE_LISTEN")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,

    // ---- Targets: what may be scanned (SSRF defence) ----
    /// Allow scans of private, loopback, link-local and other non-public addresses (refused
    /// by default: anybody who can reach the API could otherwise probe this machine's
    /// network). Ports stay limited by --allow-port. [default: false]
    #[arg(
        long,
        value_name = "BOOL",
        env = "PROBE_ALLOW_PRIVATE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = BoolishValueParser::new(),
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_private: Option<bool>,

    /// Allow scans of this address range although it is not public, e.g. 10.20.0.0/16.
    /// Repeatable; comma-separated in the environment. [default: none]
    #[arg(
        long,
        value_name = "CIDR",
        env = "PROBE_ALLOW_CIDR",
        value_delimiter = ',',
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_cidr: Vec<IpNet>,

    /// Allow scans of this port besides 443: a port, a range (8000-8100) or "all".
    /// Repeatable; comma-separated in the environment. [default: 443 only]
    #[arg(
        long,
        value_name = "PORTS",
        env = "PROBE_ALLOW_PORT",
        value_delimiter = ',',
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_port: Vec<PortRange>,

    /// Connect to ADDRESS:PORT instead of HOST:PORT but still speak to HOST (curl's meaning;
    /// empty HOST or PORT matches any). The address rules still apply. Repeatable.
    /// [default: none]
    #[arg(
        long,
        value_name = "HOST:PORT:ADDRESS:PORT",
        env = "PROBE_CONNECT_TO",
        value_delimiter = ',',
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connect_to: Vec<String>,

    /// A PEM file of extra CA certificates to trust (for private CAs), besides Mozilla's
    /// roots. [default: none]
    #[arg(
        long,
        value_name = "PEM",
        env = "PROBE_CA_FILE",
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,

    /// A CT log list (the JSON shape of Google's log_list.json v3) whose logs are known
    /// besides the bundled list's, so SCTs from private or newer logs verify. A missing or
    /// malformed file stops the start. [default: none]
    #[arg(
        long,
        value_name = "JSON",
        env = "PROBE_CT_LOG_LIST",
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ct_log_list: Option<PathBuf>,

    /// The most a whole scan may take, in seconds (each connection and handshake has a
    /// shorter limit within it). [default: 30]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_TIMEOUT",
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,

    /// Connections in flight to one server at most during a full scan (1-64); the scan
    /// drops to one at a time by itself when a server resets or stalls under load.
    /// [default: 8]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_CONNECTIONS",
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<usize>,

    /// Addresses of one name a full scan covers at most (1-64), each under its own
    /// connection cap; the site is graded by its worst. [default: 8]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_MAX_ENDPOINTS",
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_endpoints: Option<usize>,

    /// The longest a connection waits for the server's first byte after the hello, in
    /// seconds: a server that accepts and never answers (a tarpit) fails the scan in this
    /// time, not in --timeout. Servers that answer keep the whole --timeout. [default: 4]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_FIRST_BYTE_TIMEOUT",
        help_heading = "Targets (what may be scanned)"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_byte_timeout: Option<f64>,

    // ---- Access ----
    /// Require this API token: clients send `Authorization: Bearer TOKEN` to /api/* and
    /// /metrics. Prefer the environment variable or --token-file to a flag, which other
    /// users can see in the process list. [default: no token]
    #[arg(
        long,
        value_name = "TOKEN",
        env = "PROBE_TOKEN",
        hide_env_values = true,
        help_heading = "Access"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,

    /// Read the API token from this file (e.g. a systemd credential). [default: none]
    #[arg(
        long,
        value_name = "FILE",
        env = "PROBE_TOKEN_FILE",
        help_heading = "Access"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,

    /// Serve without an API token on an address that is not loopback: anybody who can reach
    /// the probe can use it. Without this (or a token) such a probe refuses to start.
    /// [default: false]
    #[arg(
        long,
        value_name = "BOOL",
        env = "PROBE_NO_TOKEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = BoolishValueParser::new(),
        help_heading = "Access"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_token: Option<bool>,

    /// Serve the browser extension with this id only: its origins
    /// chrome-extension://ID and moz-extension://ID (Firefox's per-install UUID, shown in
    /// about:debugging). Repeatable. Web pages are always refused. [default: any
    /// chrome-extension:// or moz-extension:// origin]
    #[arg(
        long,
        value_name = "ID",
        env = "PROBE_EXTENSION_ID",
        value_delimiter = ',',
        help_heading = "Access"
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension_id: Vec<String>,

    /// Answer requests for this Host name (a reverse proxy's public name), or "*" for any.
    /// Repeatable. [default: localhost, 127.0.0.1 and [::1] when listening on loopback, the
    /// listening address otherwise; required when listening on every address (0.0.0.0, ::)]
    #[arg(
        long,
        value_name = "NAME",
        env = "PROBE_ALLOWED_HOST",
        value_delimiter = ',',
        help_heading = "Access"
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_host: Vec<String>,

    /// A reverse proxy in this range is trusted to name the client in X-Forwarded-For (for
    /// the per-client limits). Repeatable. [default: none: the peer is the client]
    #[arg(
        long,
        value_name = "CIDR",
        env = "PROBE_TRUSTED_PROXY",
        value_delimiter = ',',
        help_heading = "Access"
    )]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxy: Vec<IpNet>,

    // ---- Limits ----
    /// Scans running at once. [default: 16]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_MAX_SCANS",
        help_heading = "Limits"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_scans: Option<usize>,

    /// Scans that may wait for a free slot; beyond that the answer is 503 with Retry-After.
    /// [default: 64]
    #[arg(long, value_name = "N", env = "PROBE_QUEUE", help_heading = "Limits")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<usize>,

    /// The longest a scan waits in the queue before it is given up (503), in seconds.
    /// [default: 30]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_QUEUE_WAIT",
        help_heading = "Limits"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_wait: Option<f64>,

    /// New scans one client (IPv4 address or IPv6 /64) may start per minute; cached answers
    /// do not count. Over it: 429 with Retry-After. 0: no limit. [default: 30]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_CLIENT_SCANS_PER_MINUTE",
        help_heading = "Limits"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_scans_per_minute: Option<u32>,

    /// New scans of one target (host and port) per minute, whoever asks, so the probe cannot
    /// be used to hammer a host. 0: no limit. [default: 10]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_TARGET_SCANS_PER_MINUTE",
        help_heading = "Limits"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_scans_per_minute: Option<u32>,

    /// refresh=1 requests (which bypass the cache) one client may make per minute. 0: no
    /// limit. [default: 6]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_REFRESHES_PER_MINUTE",
        help_heading = "Limits"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshes_per_minute: Option<u32>,

    /// Scans one client may have in flight at once, started or joined and waited on; past
    /// it, 429 with Retry-After (so one client's slow targets cannot take every slot).
    /// 0: no limit. [default: 3]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_CLIENT_SCANS_IN_FLIGHT",
        help_heading = "Limits"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_scans_in_flight: Option<usize>,

    /// Event streams one client may hold open at once; past it, 429. 0: no limit.
    /// [default: 4]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_CLIENT_STREAMS",
        help_heading = "Limits"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_streams: Option<usize>,

    // ---- Cache ----
    /// How long a report is served from the cache, in seconds (0: no caching).
    /// [default: 600]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_CACHE_TTL",
        help_heading = "Cache"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<f64>,

    /// How long a failed scan's answer is served from the cache, in seconds. [default: 30]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_FAILURE_TTL",
        help_heading = "Cache"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_ttl: Option<f64>,

    /// The most the cache holds, in MiB of report JSON. [default: 32]
    #[arg(
        long,
        value_name = "MIB",
        env = "PROBE_CACHE_SIZE",
        help_heading = "Cache"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_size: Option<u64>,

    // ---- HTTP ----
    /// Threads serving HTTP (scans run on the main runtime's threads). [default: the number
    /// of CPUs, at most 8]
    #[arg(long, value_name = "N", env = "PROBE_WORKERS", help_heading = "HTTP")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,

    /// Open connections at most; more wait in the listen backlog. [default: 1024]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_MAX_CONNECTIONS",
        help_heading = "HTTP"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,

    /// The time a client has to send its request's head, in seconds. [default: 5]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_REQUEST_TIMEOUT",
        help_heading = "HTTP"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<f64>,

    /// How long an idle connection is kept open, in seconds. [default: 5]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_KEEP_ALIVE",
        help_heading = "HTTP"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<f64>,

    /// On SIGTERM, the longest to wait for scans and requests in flight, in seconds.
    /// [default: --timeout + --queue-wait + 5]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_SHUTDOWN_TIMEOUT",
        help_heading = "HTTP"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_timeout: Option<f64>,

    // ---- History ----
    /// Keep every full scan's summary and report (see `probe-server history`).
    /// [default: true]
    #[arg(
        long,
        value_name = "BOOL",
        env = "PROBE_HISTORY",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = BoolishValueParser::new(),
        help_heading = "History"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<bool>,

    /// The directory of the embedded SQLite history (created if missing).
    /// [default: $XDG_DATA_HOME/probe-server, else ~/.local/share/probe-server]
    #[arg(
        long,
        value_name = "DIR",
        env = "PROBE_DATA_DIR",
        help_heading = "History"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,

    /// A PostgreSQL database for the history instead (postgres://user:password@host/db),
    /// shared by replicas; its migrations run at start. [default: none: SQLite in --data-dir]
    #[arg(
        long,
        value_name = "URL",
        env = "PROBE_DATABASE",
        help_heading = "History"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,

    // ---- Replicas ----
    /// A Redis that replicas behind one load balancer share (redis://[:password@]host[:port][/db]):
    /// the report cache, every rate limit and single-flight then hold for all of them. Redis down or slow
    /// (no answer in 500 ms): each replica falls back to its own structures, logs it once,
    /// counts probe_redis_fallbacks_total, and shares again when Redis answers.
    /// [default: none: this process's own cache and limits]
    #[arg(
        long,
        value_name = "URL",
        env = "PROBE_REDIS",
        help_heading = "Replicas"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<String>,

    // ---- Watches ----
    /// How often, in seconds, each replica looks for due watches (and alerts to deliver).
    /// [default: 5]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_WATCH_POLL",
        help_heading = "Watches"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_poll: Option<f64>,

    /// How long, in seconds, a replica holds a watch's run before another may take it over
    /// (a replica killed mid-run delays the scan by this much); more than --timeout.
    /// [default: --timeout + 30]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_WATCH_LEASE",
        help_heading = "Watches"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_lease: Option<f64>,

    /// The longest one webhook delivery may take, in seconds. [default: 10]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_WEBHOOK_TIMEOUT",
        help_heading = "Watches"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_timeout: Option<f64>,

    /// Seconds before the first retry of a failed delivery; each next retry waits twice as
    /// long, at most an hour. [default: 30]
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROBE_WEBHOOK_RETRY",
        help_heading = "Watches"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_retry: Option<f64>,

    /// Deliveries of one alert tried at most (1-30). [default: 8]
    #[arg(
        long,
        value_name = "N",
        env = "PROBE_WEBHOOK_ATTEMPTS",
        help_heading = "Watches"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_attempts: Option<u32>,

    // ---- Logging ----
    /// Log format, to standard error. [default: human]
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        env = "PROBE_LOG_FORMAT",
        help_heading = "Logging"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,

    /// What to log, as a tracing filter ("info", "debug", "info,probe_server=debug"). RUST_LOG
    /// is read when this is not set. [default: info]
    #[arg(
        long,
        value_name = "FILTER",
        env = "PROBE_LOG",
        help_heading = "Logging"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// Everything `serve` needs, checked.
#[derive(Debug)]
pub struct Settings {
    pub serve: ServeConfig,
    pub log_format: LogFormat,
    pub log_filter: String,
    /// Things the operator should know (logged at start).
    pub warnings: Vec<String>,
    /// Where the history is kept; `None`: `--history=false`.
    pub history: Option<HistoryStore>,
}

/// The history's store, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryStore {
    pub location: crate::store::Location,
    /// Named by the operator (`--data-dir`, `--database`): failing to open it stops the
    /// start. The default data directory failing only turns the history off, with an error
    /// logged (a probe started where it cannot write still answers).
    pub named: bool,
}

impl ServeOptions {
    /// Reads the TOML file at `path` (alone: no other layer).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::default().over_file(path)
    }

    /// Parses TOML text (unknown keys are refused, so a misspelt key is not ignored).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::default().over_toml(text, "the TOML text")
    }

    /// These options (flags and environment, as clap read them) laid over the `--config`
    /// file, if any.
    pub fn layered(self) -> Result<Self, ConfigError> {
        match self.config.clone() {
            Some(path) => self.over_file(&path),
            None => Ok(self),
        }
    }

    /// These options laid over the TOML file at `path`.
    pub fn over_file(self, path: &Path) -> Result<Self, ConfigError> {
        // Read here rather than by figment, which would take a missing file for an empty one.
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        self.over_toml(&text, &path.display().to_string())
    }

    /// The layers, with figment: the TOML text below, these options (each one that is set)
    /// above it; a list given above replaces the file's. The built-in defaults come last, in
    /// [`ServeOptions::into_settings`], which also checks every value.
    pub fn over_toml(self, text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config = self.config.clone();
        let mut merged: Self = Figment::new()
            .merge(Toml::string(text))
            .merge(Serialized::defaults(&self))
            .extract()
            .map_err(|e| ConfigError(format!("{origin}: {}", describe_figment_error(&e))))?;
        merged.config = config;
        Ok(merged)
    }

    /// Fills in the defaults, checks every value, loads the CA file and the token file, and
    /// builds the server's configuration.
    pub fn into_settings(self) -> Result<Settings, ConfigError> {
        let mut warnings = Vec::new();
        let listen = match self.listen {
            Some(listen) => listen,
            None => DEFAULT_LISTEN
                .parse()
                .map_err(|_| ConfigError("bad built-in listen address".into()))?,
        };

        let mut policy = AddressPolicy::public_only(self.allow_cidr).with_ports(&self.allow_port);
        if self.allow_private.unwrap_or(false) {
            policy = policy.with_any_address();
            warnings.push(
                "--allow-private: private, loopback and link-local addresses can be scanned; \
                 anybody who can reach this API can probe this machine's network"
                    .into(),
            );
        }
        // The one builder of a scanner: the same bounds and messages as the CLI's.
        let scanner = ScannerSettings {
            ca_file: self.ca_file.clone(),
            connect_to: self.connect_to.clone(),
            timeout_secs: self.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS),
            first_byte_secs: self.first_byte_timeout,
            connections: self
                .connections
                .unwrap_or(crate::survey::prober::DEFAULT_CONNECTIONS),
            max_endpoints: self
                .max_endpoints
                .unwrap_or(crate::scan::DEFAULT_MAX_ENDPOINTS),
            policy,
            resolver: None,
            ct_log_list: self.ct_log_list.clone(),
        }
        .build()
        .map_err(|e| ConfigError(e.to_string()))?;

        let token = match (self.token, self.token_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(
                    "give the token either directly or as --token-file, not both".into(),
                ));
            }
            (Some(token), None) => Some(token),
            (None, Some(path)) => Some(
                std::fs::read_to_string(&path)
                    .map_err(|e| {
                        ConfigError(format!(
                            "cannot read the token file {}: {e}",
                            path.display()
                        ))
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if let Some(token) = &token {
            if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ConfigError(
                    "the API token must be non-empty, without spaces or control characters".into(),
                ));
            }
            if token.len() < 16 {
                warnings.push("the API token is shorter than 16 characters: easy to guess".into());
            }
            if self.no_token == Some(true) {
                return Err(ConfigError(
                    "give an API token or --no-token, not both".into(),
                ));
            }
        } else if !listen.ip().is_loopback() {
            // Anybody who can reach the address could use the probe: only on purpose.
            if self.no_token != Some(true) {
                return Err(ConfigError(format!(
                    "refusing to listen on {listen} without an API token: anybody who can reach \
                     it could use it. Set PROBE_TOKEN or --token-file, or pass --no-token to \
                     serve an open probe on purpose"
                )));
            }
            warnings.push(format!(
                "--no-token: listening on {listen} without an API token; anybody who can reach \
                 it can use it"
            ));
        }
        if listen.ip().is_unspecified() && self.allowed_host.is_empty() {
            // Which address a client uses is not known: the Host allow-list (DNS rebinding)
            // cannot default to it.
            return Err(ConfigError(format!(
                "listening on {listen} (every address): name the Host clients use with \
                 --allowed-host (a name, an address, or \"*\" for any)"
            )));
        }
        for id in &self.extension_id {
            let id = id.trim().trim_start_matches('{').trim_end_matches('}');
            if id.is_empty()
                || id.len() > 64
                || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(ConfigError(format!(
                    "--extension-id {id:?}: an extension id is 32 letters a-p (Chrome) or a \
                     UUID (Firefox's moz-extension:// host)"
                )));
            }
        }
        let access = AccessConfig {
            token,
            extension_ids: self
                .extension_id
                .iter()
                .map(|id| {
                    id.trim()
                        .trim_start_matches('{')
                        .trim_end_matches('}')
                        .to_owned()
                })
                .collect(),
            allowed_hosts: self.allowed_host,
            trusted_proxies: self.trusted_proxy,
        };

        let defaults = Limits::default();
        let limits = Limits {
            max_scans: count("max-scans", self.max_scans, defaults.max_scans, 1, 10_000)?,
            queue: count("queue", self.queue, defaults.queue, 0, 100_000)?,
            queue_wait: seconds(
                "queue-wait",
                self.queue_wait,
                defaults.queue_wait.as_secs_f64(),
                0.0,
                600.0,
            )?,
            client_scans_per_minute: self
                .client_scans_per_minute
                .unwrap_or(defaults.client_scans_per_minute),
            target_scans_per_minute: self
                .target_scans_per_minute
                .unwrap_or(defaults.target_scans_per_minute),
            refreshes_per_minute: self
                .refreshes_per_minute
                .unwrap_or(defaults.refreshes_per_minute),
            tracked_keys: defaults.tracked_keys,
            client_scans_in_flight: count(
                "client-scans-in-flight",
                self.client_scans_in_flight,
                defaults.client_scans_in_flight,
                0,
                10_000,
            )?,
            client_streams: count(
                "client-streams",
                self.client_streams,
                defaults.client_streams,
                0,
                10_000,
            )?,
        };
        let cache_defaults = CacheConfig::default();
        let cache = CacheConfig {
            ttl: seconds(
                "cache-ttl",
                self.cache_ttl,
                cache_defaults.ttl.as_secs_f64(),
                0.0,
                7.0 * 86_400.0,
            )?,
            failure_ttl: seconds(
                "failure-ttl",
                self.failure_ttl,
                cache_defaults.failure_ttl.as_secs_f64(),
                0.0,
                86_400.0,
            )?,
            max_bytes: usize::try_from(count(
                "cache-size",
                self.cache_size,
                (cache_defaults.max_bytes / (1024 * 1024)) as u64,
                0,
                64 * 1024,
            )?)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024 * 1024),
        };
        let http_defaults = HttpConfig::default();
        let http = HttpConfig {
            workers: count("workers", self.workers, http_defaults.workers, 1, 64)?,
            max_connections: count(
                "max-connections",
                self.max_connections,
                http_defaults.max_connections,
                1,
                1_000_000,
            )?,
            request_timeout: seconds(
                "request-timeout",
                self.request_timeout,
                http_defaults.request_timeout.as_secs_f64(),
                0.1,
                600.0,
            )?,
            keep_alive: seconds(
                "keep-alive",
                self.keep_alive,
                http_defaults.keep_alive.as_secs_f64(),
                0.0,
                3600.0,
            )?,
            shutdown_timeout: match self.shutdown_timeout {
                None => None,
                Some(_) => Some(seconds(
                    "shutdown-timeout",
                    self.shutdown_timeout,
                    0.0,
                    0.0,
                    3600.0,
                )?),
            },
            stream_keep_alive: http_defaults.stream_keep_alive,
            handle_signals: true,
        };

        if let Some(url) = &self.redis {
            crate::server::shared::check_url(url).map_err(ConfigError)?;
        }
        let watch_defaults = crate::server::WatchConfig::default();
        let scan_timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
        let watches = crate::server::WatchConfig {
            enabled: true,
            poll: seconds(
                "watch-poll",
                self.watch_poll,
                watch_defaults.poll.as_secs_f64(),
                0.05,
                3600.0,
            )?,
            lease: match self.watch_lease {
                None => None,
                Some(lease) if lease <= scan_timeout => {
                    return Err(ConfigError(format!(
                        "--watch-lease {lease} must be longer than the scan timeout ({scan_timeout} s): \
                         a run still going would be taken over"
                    )));
                }
                Some(_) => Some(seconds(
                    "watch-lease",
                    self.watch_lease,
                    0.0,
                    1.0,
                    86_400.0,
                )?),
            },
            webhook_timeout: seconds(
                "webhook-timeout",
                self.webhook_timeout,
                watch_defaults.webhook_timeout.as_secs_f64(),
                0.1,
                300.0,
            )?,
            retry: seconds(
                "webhook-retry",
                self.webhook_retry,
                watch_defaults.retry.as_secs_f64(),
                0.01,
                3600.0,
            )?,
            attempts: count(
                "webhook-attempts",
                self.webhook_attempts,
                watch_defaults.attempts,
                1,
                30,
            )?,
        };
        let history = match (self.history, self.database, self.data_dir) {
            (Some(false), Some(_), _) | (Some(false), _, Some(_)) => {
                return Err(ConfigError(
                    "--history=false with --database or --data-dir: choose one".into(),
                ));
            }
            (Some(false), None, None) => None,
            (_, Some(_), Some(_)) => {
                return Err(ConfigError(
                    "give the history either --database or --data-dir, not both".into(),
                ));
            }
            (_, Some(url), None) => Some(HistoryStore {
                location: crate::store::Location::Url(url),
                named: true,
            }),
            (_, None, Some(dir)) => Some(HistoryStore {
                location: crate::store::Location::DataDir(dir),
                named: true,
            }),
            (_, None, None) => Some(HistoryStore {
                location: crate::store::Location::DataDir(crate::store::default_data_dir()),
                named: false,
            }),
        };
        Ok(Settings {
            history,
            serve: ServeConfig {
                listen,
                scanner,
                access,
                limits,
                cache,
                http,
                store: None,
                redis: self.redis,
                watches,
            },
            log_format: self.log_format.unwrap_or_default(),
            log_filter: self
                .log
                .or_else(|| std::env::var("RUST_LOG").ok())
                .unwrap_or_else(|| "info".into()),
            warnings,
        })
    }
}

/// A figment error in words, naming the key (as the TOML key) when there is one.
fn describe_figment_error(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let kind = e.kind.to_string();
            if key.is_empty() {
                kind
            } else {
                format!("{key}: {kind}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A duration setting in seconds, checked to lie in `min..=max`.
fn seconds(
    name: &str,
    value: Option<f64>,
    default: f64,
    min: f64,
    max: f64,
) -> Result<Duration, ConfigError> {
    let value = value.unwrap_or(default);
    if !(value.is_finite() && (min..=max).contains(&value)) {
        return Err(ConfigError(format!(
            "--{name} must be between {min} and {max} seconds, not {value}"
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

/// A count setting, checked to lie in `min..=max`.
fn count<T: PartialOrd + Copy + std::fmt::Display>(
    name: &str,
    value: Option<T>,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let value = value.unwrap_or(default);
    if value < min || value > max {
        return Err(ConfigError(format!(
            "--{name} must be between {min} and {max}, not {value}"
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_is_on_by_default_and_its_store_is_one_choice() {
        use crate::store::Location;
        let history = ServeOptions::default().into_settings().unwrap().history;
        let history = history.unwrap();
        assert!(!history.named);
        assert_eq!(
            history.location,
            Location::DataDir(crate::store::default_data_dir())
        );
        let toml = "database = \"postgres://probe@db/probe\"";
        let history = ServeOptions::from_toml(toml)
            .unwrap()
            .into_settings()
            .unwrap()
            .history
            .unwrap();
        assert!(history.named);
        assert_eq!(
            history.location,
            Location::Url("postgres://probe@db/probe".into())
        );
        let off = ServeOptions {
            history: Some(false),
            ..ServeOptions::default()
        };
        assert!(off.into_settings().unwrap().history.is_none());
        for options in [
            ServeOptions {
                history: Some(false),
                data_dir: Some("/x".into()),
                ..ServeOptions::default()
            },
            ServeOptions {
                data_dir: Some("/x".into()),
                database: Some("postgres://h/d".into()),
                ..ServeOptions::default()
            },
        ] {
            assert!(options.into_settings().is_err());
        }
    }

    #[test]
    fn watch_settings_default_and_a_lease_shorter_than_a_scan_is_refused() {
        let settings = ServeOptions::default().into_settings().unwrap();
        assert_eq!(
            settings.serve.watches,
            crate::server::WatchConfig::default()
        );
        let toml = "timeout = 10\nwatch_lease = 20\nwatch_poll = 0.5\nwebhook_attempts = 3";
        let watches = ServeOptions::from_toml(toml)
            .unwrap()
            .into_settings()
            .unwrap()
            .serve
            .watches;
        assert_eq!(watches.lease, Some(Duration::from_secs(20)));
        assert_eq!(watches.poll, Duration::from_millis(500));
        assert_eq!(watches.attempts, 3);
        for toml in [
            "timeout = 10\nwatch_lease = 10",
            "webhook_attempts = 0",
            "watch_poll = 0",
            "webhook_retry = -1",
        ] {
            let error = ServeOptions::from_toml(toml)
                .unwrap()
                .into_settings()
                .unwrap_err()
                .to_string();
            assert!(error.contains("--w"), "{toml}: {error}");
        }
    }

    #[test]
    fn redis_is_off_by_default_and_a_bad_url_is_refused() {
        let settings = ServeOptions::default().into_settings().unwrap();
        assert_eq!(settings.serve.redis, None);
        let toml = "redis = \"redis://127.0.0.1:6379/0\"";
        let settings = ServeOptions::from_toml(toml)
            .unwrap()
            .into_settings()
            .unwrap();
        assert_eq!(
            settings.serve.redis.as_deref(),
            Some("redis://127.0.0.1:6379/0")
        );
        let bad = ServeOptions {
            redis: Some("http://cache".into()),
            ..ServeOptions::default()
        };
        let error = bad.into_settings().unwrap_err().to_string();
        assert!(error.contains("--redis"), "{error}");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let settings = ServeOptions::default().into_settings().unwrap();
        let serve = &settings.serve;
        assert_eq!(serve.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(serve.scanner.timeouts.scan, Duration::from_secs(30));
        assert_eq!(serve.scanner.connections, 8);
        assert_eq!(serve.limits, Limits::default());
        assert_eq!(serve.cache, CacheConfig::default());
        assert_eq!(serve.access, AccessConfig::default());
        assert!(serve.scanner.egress.policy.check_port(443).is_ok());
        assert!(serve.scanner.egress.policy.check_port(8443).is_err());
        assert!(
            serve
                .scanner
                .egress
                .policy
                .check("127.0.0.1".parse().unwrap())
                .is_err()
        );
        assert_eq!(settings.log_format, LogFormat::Human);
        assert!(settings.warnings.is_empty(), "{:?}", settings.warnings);
    }

    #[test]
    fn toml_keys_are_the_flag_names() {
        let options = ServeOptions::from_toml(
            r#"
            listen = "0.0.0.0:8080"
            allowed_host = ["probe.example.org"]
            allow_private = true
            allow_cidr = ["10.20.0.0/16"]
            allow_port = [8443, "9000-9100"]
            token = "0123456789abcdef0123"
            extension_id = ["abcdefghijklmnopabcdefghijklmnop"]
            max_scans = 4
            queue = 8
            queue_wait = 2.5
            client_scans_per_minute = 0
            cache_ttl = 60
            cache_size = 1
            log_format = "json"
            client_scans_in_flight = 2
            client_streams = 5
            first_byte_timeout = 1.5
            "#,
        )
        .unwrap();
        let settings = options.into_settings().unwrap();
        let serve = &settings.serve;
        assert_eq!(serve.listen.to_string(), "0.0.0.0:8080");
        assert!(serve.scanner.egress.policy.allows_everything());
        assert!(serve.scanner.egress.policy.check_port(9050).is_ok());
        assert!(serve.scanner.egress.policy.check_port(22).is_err());
        assert_eq!(serve.access.token.as_deref(), Some("0123456789abcdef0123"));
        assert_eq!(serve.limits.max_scans, 4);
        assert_eq!(serve.limits.queue, 8);
        assert_eq!(serve.limits.queue_wait, Duration::from_millis(2500));
        assert_eq!(serve.limits.client_scans_per_minute, 0);
        assert_eq!(serve.cache.ttl, Duration::from_secs(60));
        assert_eq!(serve.cache.max_bytes, 1024 * 1024);
        assert_eq!(serve.limits.client_scans_in_flight, 2);
        assert_eq!(serve.limits.client_streams, 5);
        assert_eq!(
            serve.scanner.timeouts.first_byte,
            Duration::from_millis(1500)
        );
        assert_eq!(settings.log_format, LogFormat::Json);
    }

    #[test]
    fn misspelt_keys_and_bad_values_are_refused() {
        let error = ServeOptions::from_toml("max_scan = 3").unwrap_err();
        assert!(error.0.contains("max_scan"), "{error}");
        for text in [
            "max_scans = 0",
            "timeout = 0",
            "timeout = 1000",
            "queue_wait = -1",
            r#"allow_port = ["ssh"]"#,
            r#"extension_id = ["chrome-extension://x"]"#,
            r#"token = "two words""#,
        ] {
            let result = ServeOptions::from_toml(text).and_then(ServeOptions::into_settings);
            assert!(result.is_err(), "{text} should be refused");
        }
    }

    #[test]
    fn upper_layers_win_and_lists_replace() {
        let file = r#"
            max_scans = 4
            queue = 8
            allow_port = [8443]
            "#;
        let flags = ServeOptions {
            max_scans: Some(2),
            allow_port: vec!["9443".parse().unwrap()],
            ..ServeOptions::default()
        };
        let merged = flags.over_toml(file, "file").unwrap();
        assert_eq!(merged.max_scans, Some(2));
        assert_eq!(merged.queue, Some(8));
        assert_eq!(merged.allow_port, vec!["9443".parse().unwrap()]);
    }

    #[test]
    fn an_open_probe_off_loopback_is_only_on_purpose() {
        let open = |no_token: Option<bool>| {
            ServeOptions {
                listen: Some("192.168.1.5:7443".parse().unwrap()),
                no_token,
                ..ServeOptions::default()
            }
            .into_settings()
        };
        let error = open(None).unwrap_err();
        assert!(error.0.contains("--no-token"), "{error}");
        assert!(open(Some(false)).is_err());
        let settings = open(Some(true)).unwrap();
        assert!(
            settings
                .warnings
                .iter()
                .any(|w| w.contains("without an API token")),
            "{:?}",
            settings.warnings
        );
        // The Host allow-list defaults to the listening address.
        assert_eq!(settings.serve.access.allowed_hosts, Vec::<String>::new());
        // Every address: the Host names must be given.
        let every = ServeOptions {
            listen: Some("0.0.0.0:7443".parse().unwrap()),
            token: Some("0123456789abcdef0123".into()),
            ..ServeOptions::default()
        };
        let error = every.clone().into_settings().unwrap_err();
        assert!(error.0.contains("--allowed-host"), "{error}");
        let named = ServeOptions {
            allowed_host: vec!["probe.example.org".into()],
            ..every
        };
        assert!(named.into_settings().is_ok());
        // A token and --no-token contradict each other.
        let both = ServeOptions {
            token: Some("0123456789abcdef0123".into()),
            no_token: Some(true),
            ..ServeOptions::default()
        };
        assert!(both.into_settings().is_err());
    }

    #[test]
    fn figment_errors_name_the_key_and_the_file() {
        let error = ServeOptions::default()
            .over_toml("max_scans = \"many\"", "/etc/probe.toml")
            .unwrap_err();
        assert!(error.0.contains("/etc/probe.toml"), "{error}");
        assert!(error.0.contains("max_scans"), "{error}");
    }
}
