//! The command line: `probe-server scan` and `probe-server serve`.

pub mod bulk;
pub mod config;
pub mod history;
pub mod render;
pub mod watch;

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shared::{Grade, ScanMode};

use crate::cli::config::{LogFormat, ServeOptions};
use crate::error::ProbeError;
use crate::scan::settings::{ScannerSettings, SettingsError};
use crate::scan::{ScanRequest, Scanner};
use crate::server::Application;
use crate::target::Target;

pub use crate::cli::config::DEFAULT_LISTEN;

/// How secure is the TLS of a server? Scans it and grades it the way SSL Labs does.
#[derive(Debug, Parser)]
#[command(name = "probe-server", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan one server and print its report.
    ///
    /// Exit status: 0 grade A+/A/A-; 4 grade B to E; 5 grade F; 6 grade T or M (certificate
    /// not trusted or for another name); 3 the scan failed (no such host, no connection, no
    /// TLS, timeout); 2 bad usage or input. With --targets: the worst of every target's
    /// (a good grade, B-E, F, T/M, a failed scan, a bad line, from least to most severe).
    Scan(ScanArgs),
    /// Serve the HTTP API (for the browser extension and for teams).
    ///
    /// Settings come from, in rising order: the defaults (in brackets below), a TOML file
    /// (--config), environment variables (PROBE_*), flags. Endpoints: GET
    /// /api/v1/probe?host=H[&port=P][&sni=N][&refresh=1][&quick=1] (the report),
    /// /api/v1/probe/stream?host=H[&port=P][&refresh=1] (Server-Sent Events: quick, progress,
    /// report, error), /healthz, /readyz, /metrics (Prometheus). SIGTERM finishes the scans
    /// in flight, then exits.
    Serve(Box<ServeArgs>),
    /// The stored full scans of a host, newest first: grade, leaf certificate, findings,
    /// addresses. Reads the store `serve` (and `scan --data-dir/--database`) writes.
    History(history::HistoryArgs),
    /// Watched sites: `watch add HOST[:PORT] [--every 6h] [--webhook URL]`, `watch list`,
    /// `watch remove ID`, `watch scan ID`. The served probe (`serve`, same store) rescans
    /// each on its schedule and posts what changed to its webhook.
    Watch(watch::WatchArgs),
}

/// Options of `scan` (`serve` has its own, in `config`).
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// A PEM file of extra CA certificates to trust (for private CAs), besides Mozilla's roots.
    #[arg(long, value_name = "PEM", env = "PROBE_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// A CT log list (the JSON shape of Google's log_list.json v3) whose logs are known
    /// besides the bundled list's, for SCTs from private or newer logs.
    #[arg(long, value_name = "JSON", env = "PROBE_CT_LOG_LIST")]
    pub ct_log_list: Option<PathBuf>,
    /// Connect to ADDRESS:PORT instead of HOST:PORT but still speak to HOST (curl's meaning;
    /// empty HOST or PORT matches any). Repeatable. ADDRESS is an IP literal.
    #[arg(long, value_name = "HOST:PORT:ADDRESS:PORT")]
    pub connect_to: Vec<String>,
    /// The most a whole scan may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Connections in flight to one server at most during a full scan (1-64). The scan
    /// drops to one at a time by itself when a server resets or stalls under load.
    #[arg(long, value_name = "N", default_value_t = crate::survey::prober::DEFAULT_CONNECTIONS)]
    pub connections: usize,
    /// Addresses of one name a full scan covers at most (1-64), each under its own
    /// connection cap; the site is graded by its worst.
    #[arg(long, value_name = "N", default_value_t = crate::scan::DEFAULT_MAX_ENDPOINTS)]
    pub max_endpoints: usize,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The server: host[:port], [ipv6]:port, an IP address, or an https:// URL. Port 443 by default.
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "targets")]
    pub target: Option<String>,
    /// Scan every target in FILE instead (one per line, as HOST[:PORT] would be written;
    /// blank lines and lines starting with # are skipped; `-` reads standard input). Writes
    /// a table, or JSON Lines with --json, one line per target as each scan ends, and a
    /// progress bar on standard error when it is a terminal.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["target", "sni", "endpoint"])]
    pub targets: Option<String>,
    /// With --targets: scans in flight at once (1-256) [default: 8].
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
    /// With --targets: scans of one host name (or IP address) in flight at once, whatever
    /// its port (1 to --parallel) [default: 1].
    #[arg(long, value_name = "N")]
    pub per_host: Option<usize>,
    /// Print the report as JSON (the API's format) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only the verified handshake (certificate, trust, connection, HTTP): an instant,
    /// provisional answer. The default is the full scan.
    #[arg(long)]
    pub quick: bool,
    /// Send (and check the certificate against) this server name instead of the host.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Scan only this address of the name (one it resolves to). By default a full scan
    /// covers every address, up to 8, and grades the site by its worst.
    #[arg(long, value_name = "ADDRESS")]
    pub endpoint: Option<std::net::IpAddr>,
    /// When to colour the text report.
    #[arg(long, value_enum, default_value_t = ColourChoice::Auto, value_name = "WHEN")]
    pub color: ColourChoice,
    #[command(flatten)]
    pub common: CommonArgs,
    /// With --data-dir or --database (or PROBE_DATA_DIR / PROBE_DATABASE), every full scan is
    /// also stored in that history (see `history`).
    #[command(flatten)]
    pub store: history::StoreArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub options: ServeOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColourChoice {
    Auto,
    Always,
    Never,
}

/// Exit statuses of `scan` (documented in `--help` and the README).
pub mod exit {
    pub const GOOD: u8 = 0;
    pub const USAGE: u8 = 2;
    pub const SCAN_FAILED: u8 = 3;
    pub const WEAK: u8 = 4;
    pub const FAILING: u8 = 5;
    pub const UNTRUSTED: u8 = 6;
}

/// The exit status for a grade.
pub fn exit_status(grade: Grade) -> u8 {
    match grade {
        Grade::APlus | Grade::A | Grade::AMinus => exit::GOOD,
        Grade::B | Grade::C | Grade::D | Grade::E => exit::WEAK,
        Grade::F => exit::FAILING,
        Grade::T | Grade::M => exit::UNTRUSTED,
    }
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Scan(args) => runtime.block_on(scan(args)),
        Command::Serve(args) => runtime.block_on(serve(*args)),
        Command::History(args) => ExitCode::from(runtime.block_on(history::run(args))),
        Command::Watch(args) => ExitCode::from(runtime.block_on(watch::run(args))),
    }
}

fn scanner(common: &CommonArgs) -> Result<Scanner, SettingsError> {
    ScannerSettings {
        ca_file: common.ca_file.clone(),
        ct_log_list: common.ct_log_list.clone(),
        connect_to: common.connect_to.clone(),
        timeout_secs: common.timeout,
        connections: common.connections,
        max_endpoints: common.max_endpoints,
        ..ScannerSettings::default()
    }
    .build()
}

/// The exit status for a scan that gave no report.
pub fn probe_error_status(error: &ProbeError) -> u8 {
    match error {
        ProbeError::InvalidTarget { .. }
        | ProbeError::InvalidConnectTo { .. }
        | ProbeError::CaFile { .. } => exit::USAGE,
        _ => exit::SCAN_FAILED,
    }
}

async fn scan(args: ScanArgs) -> ExitCode {
    let mode = if args.quick {
        ScanMode::Quick
    } else {
        ScanMode::Full
    };
    let store = match args.store.named() {
        Some(location) => match crate::store::Store::open(&location).await {
            Ok(store) => Some(store),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(exit::USAGE);
            }
        },
        None => None,
    };
    if let Some(targets) = &args.targets {
        let scanner = match scanner(&args.common) {
            Ok(scanner) => scanner,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(exit::USAGE);
            }
        };
        let options = bulk::BulkOptions {
            source: bulk::Source::from_arg(targets),
            parallel: args.parallel.unwrap_or(bulk::DEFAULT_PARALLEL),
            per_host: args.per_host.unwrap_or(bulk::DEFAULT_PER_HOST),
            json: args.json,
            mode,
            progress: None,
        };
        let status = bulk::run(scanner, options, store.clone()).await;
        if let Some(store) = store {
            store.close().await;
        }
        return ExitCode::from(status);
    }
    // clap leaves `requires` unchecked when the required argument conflicts with a given one.
    if args.parallel.is_some() || args.per_host.is_some() {
        eprintln!("error: --parallel and --per-host go with --targets FILE");
        return ExitCode::from(exit::USAGE);
    }
    let setup = scanner(&args.common)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            let target = args.target.as_deref().unwrap_or_default();
            Ok((s, Target::parse(target).map_err(|e| e.to_string())?))
        });
    let (scanner, target) = match setup {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let request = ScanRequest {
        target,
        sni: args.sni,
        mode,
        endpoint: args.endpoint,
    };
    match scanner.scan(&request).await {
        Ok(report) => {
            if let Some(store) = &store {
                // The verdict stands whether or not it could be kept.
                if let Err(e) = store.record(&report).await {
                    eprintln!("warning: the scan was not stored: {e}");
                }
                store.close().await;
            }
            let text = if args.json {
                serde_json::to_string_pretty(&report)
                    .map(|j| j + "\n")
                    .unwrap_or_default()
            } else {
                let colour = match args.color {
                    ColourChoice::Always => true,
                    ColourChoice::Never => false,
                    ColourChoice::Auto => {
                        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                    }
                };
                render::render(&report, colour)
            };
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            ExitCode::from(exit_status(report.grade))
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(probe_error_status(&e))
        }
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let settings = match args.options.layered().and_then(ServeOptions::into_settings) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    init_logging(settings.log_format, &settings.log_filter);
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let mut serve_config = settings.serve;
    if let Some(history) = &settings.history {
        match crate::store::Store::open(&history.location).await {
            Ok(store) => {
                tracing::info!(store = store.location(), "history kept");
                serve_config.store = Some(store);
            }
            Err(e) if history.named => {
                tracing::error!("{e}");
                eprintln!("error: {e}");
                return ExitCode::from(exit::USAGE);
            }
            Err(e) => tracing::error!(
                "history off: {e} (name a writable --data-dir, a --database, or pass --history=false)"
            ),
        }
    }
    let store = serve_config.store.clone();
    let listen = serve_config.listen;
    let app = match Application::build(serve_config) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot listen on {listen}: {e}");
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(address = %app.address(), version = env!("CARGO_PKG_VERSION"), "probe server listening");
    let result = app.run_until_stopped().await;
    if let Some(store) = store {
        store.close().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(1)
        }
    }
}

/// Logs to standard error, readable or as JSON lines.
fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("warning: bad log filter {filter:?} ({e}); using \"info\"");
        tracing_subscriber::EnvFilter::new("info")
    });
    // actix's own per-connection chatter stays out unless asked for.
    let filter = match "actix_server=warn".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
