//! Java's own TLS stack (JSSE, Debian's OpenJDK 17) as a test server: the JDK's
//! `com.sun.net.httpserver.HttpsServer` from `tests/servers/java/Server.java`, run in
//! source-launch mode (`java Server.java …`: no build tool, the JDK compiles it in memory).
//!
//! The key store is a PKCS#12 file made from the testbed PKI's leaf and chain with
//! `openssl pkcs12 -export`. Versions and suites are `SSLParameters`; the groups are the
//! `jdk.tls.namedGroups` system property (JDK 17 has no per-socket API for them). TLS 1.0 and
//! 1.1 are in JDK 17's `jdk.tls.disabledAlgorithms`: when asked for, a security-properties
//! file without them is passed with `-Djava.security.properties`.
//!
//! JSSE with an ECDSA certificate enables no RSA key exchange suite at all: a hello offering
//! only RSA key exchange is refused (the ROBOT probe's "no RSA key exchange" case).

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::error::{Result, TestbedError};
use crate::pki::Leaf;
use crate::process::{self, ServerProcess};
use crate::runtime;
use crate::version::ProtocolVersion;

/// The server's source, compiled by `java` at each start.
const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/servers/java/Server.java"
);

/// The key store password (a test key store in a temp dir).
const STORE_PASSWORD: &str = "testbed";

/// How to start a [`JavaServer`]. Made by [`JavaServer::builder`].
#[derive(Clone, Debug)]
pub struct JavaServerBuilder {
    chain_pem: PathBuf,
    key_pem: PathBuf,
    versions: Vec<ProtocolVersion>,
    suites: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    server_order: bool,
    start_timeout: Duration,
}

impl JavaServerBuilder {
    /// `SSLParameters.setProtocols` (default TLS 1.2 and 1.3).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// `SSLParameters.setCipherSuites`, IANA names (`TLS_AES_128_GCM_SHA256`,
    /// `TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384`): exactly these, TLS 1.3 ones included.
    pub fn suites(mut self, suites: &[&str]) -> Self {
        self.suites = Some(suites.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// `-Djdk.tls.namedGroups=…` (JSSE names: `x25519`, `secp256r1`, `ffdhe2048`).
    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.groups = Some(groups.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// `SSLParameters.setUseCipherSuitesOrder` (default off).
    pub fn server_order(mut self, on: bool) -> Self {
        self.server_order = on;
        self
    }

    /// How long the start may take (default 60 s: the JDK compiles the source first, and a
    /// loaded 2-core machine makes that slow).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Makes the key store, starts the JVM and waits until it answers TLS on its own port.
    /// Blocks (a few seconds); from async code, call it in `spawn_blocking`.
    pub fn start(self) -> Result<JavaServer> {
        let java = process::find_program("java", "openjdk-17-jdk-headless")?;
        let openssl = process::find_program("openssl", "openssl")?;
        if self.versions.is_empty() {
            return Err(TestbedError::Config("no protocol version enabled".into()));
        }
        let protocols = self
            .versions
            .iter()
            .map(|v| jsse_name(*v))
            .collect::<Result<Vec<_>>>()?;
        let dir = tempfile::Builder::new()
            .prefix("testbed-java-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let store = dir.path().join("server.p12");
        runtime::run_to_completion(
            "openssl pkcs12 -export",
            Command::new(&openssl)
                .args(["pkcs12", "-export", "-name", "server", "-passout"])
                .arg(format!("pass:{STORE_PASSWORD}"))
                .arg("-in")
                .arg(&self.chain_pem)
                .arg("-inkey")
                .arg(&self.key_pem)
                .arg("-out")
                .arg(&store),
        )?;
        // An IPv4 socket: on its dual-stack default the JVM binds 127.0.0.1 as the IPv6
        // socket ::ffff:127.0.0.1, which the start's ownership check does not recognise.
        let mut jvm_args = vec![
            "-Djava.net.preferIPv4Stack=true".to_owned(),
            "-XX:TieredStopAtLevel=1".into(),
        ];
        if let Some(groups) = &self.groups {
            jvm_args.push(format!("-Djdk.tls.namedGroups={}", groups.join(",")));
        }
        if self.versions.iter().any(|v| *v < ProtocolVersion::Tls12) {
            // JDK 17's list without TLSv1 and TLSv1.1 (java.security, jdk.tls.disabledAlgorithms).
            let security = dir.path().join("java.security");
            fs::write(
                &security,
                "jdk.tls.disabledAlgorithms=SSLv3, RC4, DES, MD5withRSA, DH keySize < 1024, \
                 EC keySize < 224, 3DES_EDE_CBC, anon, NULL\n",
            )
            .map_err(|e| TestbedError::io("write java.security", e))?;
            jvm_args.push(format!("-Djava.security.properties={}", security.display()));
        }
        let mut server_args = vec![
            "--keystore".to_owned(),
            store.display().to_string(),
            "--password".into(),
            STORE_PASSWORD.into(),
            "--protocols".into(),
            protocols.join(","),
            "--server-order".into(),
            self.server_order.to_string(),
        ];
        if let Some(suites) = &self.suites {
            server_args.extend(["--suites".to_owned(), suites.join(",")]);
        }
        let (process, addr) = runtime::start_on_free_port(
            "java",
            &java,
            |port| {
                let mut args = jvm_args.clone();
                args.push(SOURCE.into());
                args.extend(server_args.iter().cloned());
                args.extend(["--port".to_owned(), port.to_string()]);
                args
            },
            &dir.path().join("log"),
            self.start_timeout,
        )?;
        Ok(JavaServer {
            process,
            addr,
            _dir: dir,
        })
    }
}

/// JSSE's protocol names.
fn jsse_name(version: ProtocolVersion) -> Result<&'static str> {
    Ok(match version {
        ProtocolVersion::Tls10 => "TLSv1",
        ProtocolVersion::Tls11 => "TLSv1.1",
        ProtocolVersion::Tls12 => "TLSv1.2",
        ProtocolVersion::Tls13 => "TLSv1.3",
        other => {
            return Err(TestbedError::Config(format!(
                "JSSE 17 cannot serve {other}: use the legacy responders"
            )));
        }
    })
}

/// A running JSSE HTTPS server on 127.0.0.1. Dropping it kills the JVM (by PID) and reaps it.
#[derive(Debug)]
pub struct JavaServer {
    process: ServerProcess,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl JavaServer {
    /// A builder serving `leaf` with its chain, TLS 1.2 and 1.3, JSSE's default suites and
    /// groups, the client's suite order.
    pub fn builder(leaf: &Leaf) -> JavaServerBuilder {
        JavaServerBuilder {
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            versions: vec![ProtocolVersion::Tls12, ProtocolVersion::Tls13],
            suites: None,
            groups: None,
            server_order: false,
            start_timeout: Duration::from_secs(60),
        }
    }

    /// The address (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The JVM's PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// What the server printed, for diagnostics.
    pub fn log(&self) -> String {
        self.process.log_tail()
    }
}
