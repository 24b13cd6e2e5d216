//! Botan's TLS stack (Debian's Botan 2.19) as a test server: `botan tls_server CERT KEY
//! --port=443 --policy=FILE`, its versions, suites and groups set by a text policy file.
//!
//! `botan tls_server` binds `0.0.0.0` (no listen-address option), so like `gnutls-serv` it
//! runs in a [`NetNamespace`] of its own (see [`crate::gnutls_server`] for why and how). It
//! serves one connection at a time and echoes what it reads (no HTTP). Botan 2 has no TLS
//! 1.3; it still negotiates Google's CECPQ1 experiment (X25519 + NewHope, suites
//! 0x16B7–0x16BA) when a policy enables `key_exchange_methods=CECPQ1` and a client offers it.

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Result, TestbedError};
use crate::netns::NetNamespace;
use crate::pki::Leaf;
use crate::process::{self, DEFAULT_START_TIMEOUT, ServerProcess};
use crate::version::ProtocolVersion;

/// How to start a [`BotanServer`]. Made by [`BotanServer::builder`].
#[derive(Clone, Debug)]
pub struct BotanServerBuilder {
    chain_pem: PathBuf,
    key_pem: PathBuf,
    versions: Vec<ProtocolVersion>,
    policy: Vec<(String, String)>,
    start_timeout: Duration,
}

impl BotanServerBuilder {
    /// `allow_tls10/11/12` (default TLS 1.2 only).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// One `KEY=VALUE` line of the policy file (Botan's `TLS::Text_Policy`), e.g.
    /// `("ciphers", "ChaCha20Poly1305 AES-256/GCM")`, `("key_exchange_methods", "CECPQ1
    /// ECDH")`, `("groups", "x25519 secp256r1")`, `("macs", "AEAD")`. Keys not given keep
    /// Botan's defaults.
    pub fn policy(mut self, key: &str, value: &str) -> Self {
        self.policy.push((key.to_owned(), value.to_owned()));
        self
    }

    /// How long the start may take (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Writes the policy, creates the namespace, starts `botan tls_server` in it and waits
    /// until it answers TLS. Blocks (about 100 ms); from async code, call it in
    /// `spawn_blocking`.
    pub fn start(self) -> Result<BotanServer> {
        let botan = process::find_program("botan", "botan")?;
        let dir = tempfile::Builder::new()
            .prefix("testbed-botan-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let policy = dir.path().join("policy.txt");
        fs::write(&policy, self.policy_text()?)
            .map_err(|e| TestbedError::io("write the Botan policy", e))?;
        let namespace = NetNamespace::create()?;
        let port = 443;
        let addr = SocketAddr::from((namespace.addr(), port));
        let args: Vec<String> = vec![
            "netns".into(),
            "exec".into(),
            namespace.name().into(),
            botan.display().to_string(),
            "tls_server".into(),
            self.chain_pem.display().to_string(),
            self.key_pem.display().to_string(),
            format!("--port={port}"),
            format!("--policy={}", policy.display()),
        ];
        let mut child = ServerProcess::spawn(
            "botan tls_server",
            namespace.ip_program(),
            &args,
            &dir.path().join("log"),
        )?;
        child.wait_for_tls(addr, self.start_timeout)?;
        Ok(BotanServer {
            process: child,
            namespace,
            addr,
            dir,
        })
    }

    /// The policy file: the versions, then the given lines.
    fn policy_text(&self) -> Result<String> {
        if self.versions.is_empty() {
            return Err(TestbedError::Config("no protocol version enabled".into()));
        }
        if let Some(v) = self.versions.iter().find(|v| {
            !matches!(
                v,
                ProtocolVersion::Tls10 | ProtocolVersion::Tls11 | ProtocolVersion::Tls12
            )
        }) {
            return Err(TestbedError::Config(format!("Botan 2.19 cannot serve {v}")));
        }
        let mut text = String::new();
        for (key, version) in [
            ("allow_tls10", ProtocolVersion::Tls10),
            ("allow_tls11", ProtocolVersion::Tls11),
            ("allow_tls12", ProtocolVersion::Tls12),
        ] {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "{key}={}", self.versions.contains(&version));
        }
        let _ = writeln!(text, "allow_dtls10=false\nallow_dtls12=false");
        for (key, value) in &self.policy {
            let _ = writeln!(text, "{key}={value}");
        }
        Ok(text)
    }
}

/// A running `botan tls_server` in a network namespace of its own. Dropping it kills it (by
/// PID), reaps it, and removes the namespace.
#[derive(Debug)]
pub struct BotanServer {
    // Field order is drop order: the process goes before its namespace.
    process: ServerProcess,
    namespace: NetNamespace,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl BotanServer {
    /// A builder serving `leaf` with its chain, TLS 1.2, Botan's default policy otherwise.
    pub fn builder(leaf: &Leaf) -> BotanServerBuilder {
        BotanServerBuilder {
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            versions: vec![ProtocolVersion::Tls12],
            policy: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// Where it is reached from the host: the namespace-side address and port 443.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The namespace's name.
    pub fn namespace(&self) -> &str {
        self.namespace.name()
    }

    /// The server's PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The policy file it was started with.
    pub fn policy(&self) -> String {
        fs::read_to_string(self.dir.path().join("policy.txt")).unwrap_or_default()
    }

    /// What the server printed, for diagnostics.
    pub fn log(&self) -> String {
        self.process.log_tail()
    }
}
