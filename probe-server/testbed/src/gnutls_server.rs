//! `gnutls-serv` (Debian's GnuTLS 3.7) as a test server: the one Debian server that still
//! serves RC4 and 3DES suites.
//!
//! # Design: a network namespace per server
//!
//! `gnutls-serv` cannot choose its listen address: it binds `0.0.0.0` (and `::`) on the port
//! given. On the host that would expose a test server on every interface and race other tests
//! for ports; and it keeps running after a failed bind, so a port conflict would go unnoticed.
//! So each [`GnutlsServer`] gets a [`NetNamespace`] of its own (see that module for the
//! addressing and the race-free allocation):
//!
//! 1. `ip netns add testbed-N`, a veth pair `tbhN` ↔ `eth0` on a private /30 of 10.213.0.0/20;
//! 2. `ip netns exec testbed-N gnutls-serv --http -p 443 …` (through `setpriv --pdeathsig KILL`,
//!    like every process of the testbed; `ip netns exec` execs, so the PID is gnutls-serv's);
//! 3. the start waits until gnutls-serv's own socket listens on 443 *in that namespace*
//!    (`/proc/PID/net/tcp`) and a ClientHello from the host to `10.213.a.b:443` is answered;
//! 4. `Drop` kills gnutls-serv by PID, reaps it, then deletes the veth pair and the namespace.
//!
//! The probe connects to [`GnutlsServer::addr`] from the host namespace. This needs root
//! (CAP_SYS_ADMIN, CAP_NET_ADMIN): without it, [`GnutlsServerBuilder::start`] fails with a
//! [`TestbedError::Netns`] that says so.

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::dh::DhGroup;
use crate::error::{Result, TestbedError};
use crate::netns::NetNamespace;
use crate::pki::Leaf;
use crate::process::{self, DEFAULT_START_TIMEOUT, ServerProcess};
use crate::version::ProtocolVersion;

/// How to start a [`GnutlsServer`]. Made by [`GnutlsServer::builder`].
#[derive(Clone, Debug)]
pub struct GnutlsServerBuilder {
    chain_pem: PathBuf,
    key_pem: PathBuf,
    priority: String,
    versions: Option<Vec<ProtocolVersion>>,
    http: bool,
    request_client_cert: bool,
    ocsp_staple: Option<Vec<u8>>,
    dhparams: Option<DhGroup>,
    port: u16,
    extra_args: Vec<String>,
    start_timeout: Duration,
}

impl GnutlsServerBuilder {
    /// The GnuTLS priority string (`--priority`), e.g. [`GnutlsServer::LEGACY_PRIORITY`].
    /// Default: `NORMAL`.
    pub fn priority(mut self, priority: &str) -> Self {
        self.priority = priority.to_owned();
        self
    }

    /// Enables exactly these versions: appends `:-VERS-ALL:+VERS-TLS1.2…` to the priority.
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = Some(versions.to_vec());
        self
    }

    /// The priority string that is passed: [`Self::priority`] plus [`Self::versions`].
    pub fn priority_string(&self) -> String {
        let mut priority = self.priority.clone();
        if let Some(versions) = &self.versions {
            priority.push_str(":-VERS-ALL");
            for v in versions {
                priority.push_str(":+");
                priority.push_str(v.gnutls_name());
            }
        }
        priority
    }

    /// Answer HTTP requests (`--http`, the default); off: `--echo`.
    pub fn http(mut self, on: bool) -> Self {
        self.http = on;
        self
    }

    /// Send a CertificateRequest (gnutls-serv's default); off by default here
    /// (`--disable-client-cert`), as on a public web server.
    pub fn request_client_cert(mut self, on: bool) -> Self {
        self.request_client_cert = on;
        self
    }

    /// Staple this DER OCSP response (`--ocsp-response`).
    pub fn ocsp_staple(mut self, der: Vec<u8>) -> Self {
        self.ocsp_staple = Some(der);
        self
    }

    /// The DHE group (`--dhparams`).
    pub fn dhparams(mut self, group: DhGroup) -> Self {
        self.dhparams = Some(group);
        self
    }

    /// The port inside the namespace (default 443: the namespace is ours alone).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Any further `gnutls-serv` argument, passed as is.
    pub fn arg(mut self, arg: &str) -> Self {
        self.extra_args.push(arg.to_owned());
        self
    }

    /// How long the start may take (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Creates the namespace, starts gnutls-serv in it and waits until it answers TLS.
    /// Blocks (about 100 ms); from async code, call it in `spawn_blocking`.
    pub fn start(self) -> Result<GnutlsServer> {
        let gnutls = process::find_program("gnutls-serv", "gnutls-bin")?;
        let dir = tempfile::Builder::new()
            .prefix("testbed-gnutls-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let namespace = NetNamespace::create()?;
        let addr = SocketAddr::from((namespace.addr(), self.port));

        let mut args: Vec<String> = vec![
            "netns".into(),
            "exec".into(),
            namespace.name().into(),
            gnutls.display().to_string(),
            if self.http { "--http" } else { "--echo" }.into(),
            format!("--priority={}", self.priority_string()),
            format!("--x509certfile={}", self.chain_pem.display()),
            format!("--x509keyfile={}", self.key_pem.display()),
            format!("--port={}", self.port),
        ];
        if !self.request_client_cert {
            args.push("--disable-client-cert".into());
        }
        if let Some(der) = &self.ocsp_staple {
            let file = dir.path().join("ocsp.der");
            fs::write(&file, der).map_err(|e| TestbedError::io("write OCSP response", e))?;
            args.push(format!("--ocsp-response={}", file.display()));
        }
        if let Some(group) = self.dhparams {
            args.push(format!("--dhparams={}", group.pem_file()?.display()));
        }
        args.extend(self.extra_args.iter().cloned());

        let mut child = ServerProcess::spawn(
            "gnutls-serv",
            namespace.ip_program(),
            &args,
            &dir.path().join("log"),
        )?;
        child.wait_for_tls(addr, self.start_timeout)?;
        Ok(GnutlsServer {
            process: child,
            namespace,
            addr,
            _dir: dir,
        })
    }
}

/// A running `gnutls-serv` in a network namespace of its own. Dropping it kills it (by PID),
/// reaps it, and removes the namespace.
#[derive(Debug)]
pub struct GnutlsServer {
    // Field order is drop order: the process goes before its namespace.
    process: ServerProcess,
    namespace: NetNamespace,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl GnutlsServer {
    /// TLS 1.0–1.2 with RC4, 3DES, RSA key exchange and SHA-1 MACs added to GnuTLS's normal set
    /// (what `ENVIRONMENT.md` calls the legacy set).
    pub const LEGACY_PRIORITY: &'static str =
        "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+ARCFOUR-128:+3DES-CBC:+RSA:+SHA1";

    /// A builder serving `leaf` with its chain, priority `NORMAL`, HTTP answers, port 443.
    pub fn builder(leaf: &Leaf) -> GnutlsServerBuilder {
        GnutlsServerBuilder {
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            priority: "NORMAL".into(),
            versions: None,
            http: true,
            request_client_cert: false,
            ocsp_staple: None,
            dhparams: None,
            port: 443,
            extra_args: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// Where it is reached from the host: the namespace-side address and the port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on (inside its namespace).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The namespace's name.
    pub fn namespace(&self) -> &str {
        self.namespace.name()
    }

    /// The server's PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The command line it was started with.
    pub fn command_line(&self) -> &str {
        self.process.command_line()
    }

    /// The tail of what it printed (its log), for diagnostics.
    pub fn log(&self) -> String {
        self.process.log_tail()
    }
}
