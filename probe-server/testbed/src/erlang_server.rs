//! Erlang/OTP's own TLS stack (Debian's OTP 25, ssl 10.8) as a test server:
//! `tests/servers/erlang/server.erl` run by `escript`, an `ssl:listen` on 127.0.0.1 that
//! accepts in a loop and does each handshake in a process of its own.
//!
//! OTP answers a TLS 1.3 hello whose key_share is empty (or holds no group it accepts) with
//! a HelloRetryRequest naming its preferred group, as RFC 8446 allows; that is what the
//! groups probe sees first from it.
//!
//! Debian package: `erlang-ssl`, the minimal set: it depends on erlang-base (escript),
//! erlang-crypto, erlang-public-key and erlang-asn1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Result, TestbedError};
use crate::pki::Leaf;
use crate::process::{self, ServerProcess};
use crate::runtime;
use crate::version::ProtocolVersion;

/// The server's source, run by escript.
const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/servers/erlang/server.erl"
);

/// How to start an [`ErlangServer`]. Made by [`ErlangServer::builder`].
#[derive(Clone, Debug)]
pub struct ErlangServerBuilder {
    cert_pem: PathBuf,
    chain_pem: PathBuf,
    key_pem: PathBuf,
    versions: Vec<ProtocolVersion>,
    ciphers: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    start_timeout: Duration,
}

impl ErlangServerBuilder {
    /// `{versions, …}` (default TLS 1.2 and 1.3).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// `{ciphers, …}` by name (RFC or OpenSSL spelling, `ssl:str_to_suite/1`), TLS 1.3
    /// suites included: exactly these.
    pub fn ciphers(mut self, ciphers: &[&str]) -> Self {
        self.ciphers = Some(ciphers.iter().map(|c| (*c).to_owned()).collect());
        self
    }

    /// `{supported_groups, …}` by OTP's names (`x25519`, `secp256r1`, `ffdhe2048`), in the
    /// server's order of preference.
    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.groups = Some(groups.iter().map(|g| (*g).to_owned()).collect());
        self
    }

    /// How long the start may take (default 30 s: the VM starts and loads ssl first).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Starts the escript and waits until it answers TLS on its own port. Blocks (about a
    /// second); from async code, call it in `spawn_blocking`.
    pub fn start(self) -> Result<ErlangServer> {
        let escript = process::find_program("escript", "erlang-ssl")?;
        if self.versions.is_empty() {
            return Err(TestbedError::Config("no protocol version enabled".into()));
        }
        let versions = self
            .versions
            .iter()
            .map(|v| otp_name(*v))
            .collect::<Result<Vec<_>>>()?
            .join(",");
        let ciphers = self
            .ciphers
            .as_ref()
            .map_or_else(|| "default".to_owned(), |c| c.join(":"));
        let groups = self
            .groups
            .as_ref()
            .map_or_else(|| "default".to_owned(), |g| g.join(","));
        let dir = tempfile::Builder::new()
            .prefix("testbed-erlang-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let (process, addr) = runtime::start_on_free_port(
            "erlang-ssl",
            &escript,
            |port| {
                vec![
                    SOURCE.to_owned(),
                    port.to_string(),
                    self.cert_pem.display().to_string(),
                    self.chain_pem.display().to_string(),
                    self.key_pem.display().to_string(),
                    versions.clone(),
                    ciphers.clone(),
                    groups.clone(),
                ]
            },
            &dir.path().join("log"),
            self.start_timeout,
        )?;
        Ok(ErlangServer {
            process,
            addr,
            _dir: dir,
        })
    }
}

/// OTP's version atoms.
fn otp_name(version: ProtocolVersion) -> Result<&'static str> {
    Ok(match version {
        ProtocolVersion::Tls10 => "tlsv1",
        ProtocolVersion::Tls11 => "tlsv1.1",
        ProtocolVersion::Tls12 => "tlsv1.2",
        ProtocolVersion::Tls13 => "tlsv1.3",
        other => {
            return Err(TestbedError::Config(format!(
                "OTP's ssl cannot serve {other}"
            )));
        }
    })
}

/// A running Erlang ssl server on 127.0.0.1. Dropping it kills the VM (by PID) and reaps it.
#[derive(Debug)]
pub struct ErlangServer {
    process: ServerProcess,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl ErlangServer {
    /// A builder serving `leaf` with its chain, TLS 1.2 and 1.3, OTP's default suites and
    /// groups.
    pub fn builder(leaf: &Leaf) -> ErlangServerBuilder {
        ErlangServerBuilder {
            cert_pem: leaf.cert_pem.clone(),
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            versions: vec![ProtocolVersion::Tls12, ProtocolVersion::Tls13],
            ciphers: None,
            groups: None,
            start_timeout: Duration::from_secs(30),
        }
    }

    /// The address (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The VM's PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// What the server printed, for diagnostics.
    pub fn log(&self) -> String {
        self.process.log_tail()
    }
}
