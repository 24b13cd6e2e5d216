//! lighttpd 1.4 (Debian 12's 1.4.69) as a test server on three TLS stacks other than OpenSSL
//! and GnuTLS: mbedTLS 2.28 (`mod_mbedtls`), wolfSSL 5.5 (`mod_wolfssl`) and NSS 3.87
//! (`mod_nss`), the stacks of embedded devices, appliances and Red Hat's servers.
//!
//! Each server has a temp directory with a generated `lighttpd.conf`, its error log and a
//! one-file document root, and is started as `lighttpd -D -f CONF -m /usr/lib/lighttpd` (in
//! the foreground: one process, ours to kill by PID), listening on `127.0.0.1:PORT` only.
//!
//! What was found out setting it up (Debian 12):
//! - Run as root with `server.username` unset, lighttpd keeps running as root (it only drops
//!   privileges when told to); nothing here needs another user.
//! - All three modules read `ssl.openssl.ssl-conf-cmd`'s `MinProtocol`, `MaxProtocol` and
//!   `Options` (`ServerPreference`, `-SessionTicket`), but each its own way for the rest:
//!   - `CipherString`: mod_mbedtls takes mbedTLS's names
//!     (`TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256`) and rejects OpenSSL's (the server exits);
//!     mod_wolfssl and mod_nss take OpenSSL's names. mod_nss's table has no TLS 1.3 suites:
//!     an explicit `CipherString` leaves NSS with TLS 1.3 enabled and no suite for it, so it
//!     refuses every hello offering TLS 1.3 (its default list happens to enable
//!     TLS_CHACHA20_POLY1305_SHA256 alone). wolfSSL keeps every TLS 1.3 suite whatever it says.
//!   - `Ciphersuites` is ignored by all three (mbedTLS 2.28 has no TLS 1.3).
//!   - `Groups`: mod_mbedtls takes a list of mbedTLS names (`x25519:secp384r1`); mod_wolfssl
//!     one OpenSSL curve name (`secp384r1`), the only curve of TLS ≤ 1.2 ECDHE (TLS 1.3
//!     keeps wolfSSL's own groups); mod_nss ignores it.
//! - mod_nss initialises NSS without a database (`NSS_NoDB_Init`) and loads the PEM
//!   certificate chain and key itself: no `certutil` database is needed.
//! - mbedTLS 2.28 as Debian builds it has no TLS 1.3: `MaxProtocol TLSv1.3` is ignored.
//! - Debian's wolfSSL has no static-RSA key exchange (`AES128-GCM-SHA256` in a `CipherString`
//!   is dropped without a word), and its default list selects the PSK suites
//!   (`PSK-CHACHA20-POLY1305`, …) for a client that offers them, though no PSK is set up.
//! - wolfSSL checks the OCSP status of its own chain when a hello carries status_request
//!   (every browser's does), and without a CA that verifies the chain it closes the
//!   connection ("-188 certificate verify failed"): [`LighttpdServerBuilder::ca_file`] with
//!   the PKI's root *and* intermediate makes it tolerant (it checks the leaf against its own
//!   store, not the chain it serves); without it, it is the intolerant server a real
//!   mis-set wolfSSL is.
//! - The module's `.so` is a package of its own (`lighttpd-mod-mbedtls`, …); a missing one
//!   is reported as [`TestbedError::MissingProgram`] naming that package.

use std::fmt::Write as _;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Result, TestbedError};
use crate::pki::Leaf;
use crate::process::{self, DEFAULT_START_TIMEOUT, PORT_ATTEMPTS, ServerProcess};
use crate::version::ProtocolVersion;

/// Where Debian installs lighttpd's modules.
const MODULE_DIR: &str = "/usr/lib/lighttpd";

/// Which TLS library lighttpd serves with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsModule {
    /// `mod_mbedtls` (mbedTLS 2.28: TLS 1.0–1.2).
    Mbedtls,
    /// `mod_wolfssl` (wolfSSL 5.5: TLS 1.2 and 1.3 as Debian builds it).
    Wolfssl,
    /// `mod_nss` (Mozilla's NSS 3.87).
    Nss,
}

impl TlsModule {
    /// All three, for tests that cover each.
    pub const ALL: [Self; 3] = [Self::Mbedtls, Self::Wolfssl, Self::Nss];

    /// The lighttpd module name (`server.modules`).
    pub const fn module_name(self) -> &'static str {
        match self {
            Self::Mbedtls => "mod_mbedtls",
            Self::Wolfssl => "mod_wolfssl",
            Self::Nss => "mod_nss",
        }
    }

    /// The Debian package with the module.
    pub const fn package(self) -> &'static str {
        match self {
            Self::Mbedtls => "lighttpd-mod-mbedtls",
            Self::Wolfssl => "lighttpd-mod-wolfssl",
            Self::Nss => "lighttpd-mod-nss",
        }
    }

    /// The TLS stack's name, for messages.
    pub const fn stack(self) -> &'static str {
        match self {
            Self::Mbedtls => "mbedTLS",
            Self::Wolfssl => "wolfSSL",
            Self::Nss => "NSS",
        }
    }
}

/// How to start a [`LighttpdServer`]. Made by [`LighttpdServer::builder`].
#[derive(Clone, Debug)]
pub struct LighttpdServerBuilder {
    module: TlsModule,
    chain_pem: PathBuf,
    key_pem: PathBuf,
    min_protocol: Option<ProtocolVersion>,
    max_protocol: Option<ProtocolVersion>,
    cipher_string: Option<String>,
    groups: Option<String>,
    ca_file: Option<PathBuf>,
    server_preference: Option<bool>,
    options: Vec<String>,
    start_timeout: Duration,
}

impl LighttpdServerBuilder {
    /// `MinProtocol` and `MaxProtocol` (default: the module's, TLS 1.2 up to its highest).
    pub fn protocols(mut self, min: ProtocolVersion, max: ProtocolVersion) -> Self {
        self.min_protocol = Some(min);
        self.max_protocol = Some(max);
        self
    }

    /// `CipherString`: TLS ≤ 1.2 suites, in mbedTLS's names for mod_mbedtls and OpenSSL's for
    /// the others (see the module docs; default: the module's list).
    pub fn cipher_string(mut self, ciphers: &str) -> Self {
        self.cipher_string = Some(ciphers.to_owned());
        self
    }

    /// `Groups`: mbedTLS names for mod_mbedtls (`"x25519:secp384r1"`), one OpenSSL curve name
    /// for mod_wolfssl's TLS ≤ 1.2 ECDHE (`"secp384r1"`); mod_nss ignores it.
    pub fn groups(mut self, groups: &str) -> Self {
        self.groups = Some(groups.to_owned());
        self
    }

    /// `ssl.ca-file`: CAs the module trusts (client certificates are not asked for). wolfSSL
    /// needs the chain's root and intermediate here to answer hellos with status_request
    /// (module docs).
    pub fn ca_file(mut self, pem: &Path) -> Self {
        self.ca_file = Some(pem.to_owned());
        self
    }

    /// `ssl.honor-cipher-order` (default: lighttpd's, enabled).
    pub fn server_preference(mut self, on: bool) -> Self {
        self.server_preference = Some(on);
        self
    }

    /// One more `Options` word, e.g. `"-SessionTicket"`.
    pub fn option(mut self, option: &str) -> Self {
        self.options.push(option.to_owned());
        self
    }

    /// How long the start may take (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Writes the configuration, starts lighttpd and waits until it answers TLS on its own
    /// port. Blocks (about 100 ms); from async code, call it in `spawn_blocking`.
    pub fn start(self) -> Result<LighttpdServer> {
        let lighttpd = process::find_program("lighttpd", "lighttpd")?;
        let module_so = Path::new(MODULE_DIR).join(format!("{}.so", self.module.module_name()));
        if !module_so.is_file() {
            return Err(TestbedError::MissingProgram {
                program: module_so.display().to_string(),
                package: self.module.package(),
            });
        }
        let dir = tempfile::Builder::new()
            .prefix("testbed-lighttpd-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let root = dir.path().join("www");
        fs::create_dir_all(&root).map_err(|e| TestbedError::io("create the document root", e))?;
        fs::write(root.join("index.html"), "hello\n")
            .map_err(|e| TestbedError::io("write index.html", e))?;
        let conf = dir.path().join("lighttpd.conf");
        let error_log = dir.path().join("error.log");
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, process::free_port()?));
            fs::write(&conf, self.config(dir.path(), addr)?)
                .map_err(|e| TestbedError::io("write lighttpd.conf", e))?;
            let args: Vec<String> = vec![
                "-D".into(),
                "-f".into(),
                conf.display().to_string(),
                "-m".into(),
                MODULE_DIR.into(),
            ];
            let mut child =
                ServerProcess::spawn("lighttpd", &lighttpd, &args, &dir.path().join("stderr"))?;
            match child.wait_for_tls(addr, self.start_timeout) {
                Ok(()) => {
                    return Ok(LighttpdServer {
                        process: child,
                        addr,
                        module: self.module,
                        dir,
                    });
                }
                Err(e) if e.is_port_conflict() || log_says_port_taken(&error_log) => {
                    last_error = Some(e);
                }
                Err(e) => return Err(with_error_log(e, &error_log)),
            }
        }
        Err(last_error.unwrap_or(TestbedError::NoFreePort {
            server: "lighttpd",
            attempts: PORT_ATTEMPTS,
        }))
    }

    /// The generated lighttpd.conf.
    fn config(&self, dir: &Path, addr: SocketAddr) -> Result<String> {
        if let (Some(min), Some(max)) = (self.min_protocol, self.max_protocol)
            && (min > max || min < ProtocolVersion::Tls10)
        {
            return Err(TestbedError::Config(format!(
                "lighttpd cannot serve {min} to {max}"
            )));
        }
        let p = |name: &str| dir.join(name).display().to_string();
        let mut c = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(c, "server.document-root = \"{}\"", p("www"));
        let _ = writeln!(c, "server.bind = \"{}\"", addr.ip());
        let _ = writeln!(c, "server.port = {}", addr.port());
        let _ = writeln!(c, "server.pid-file = \"{}\"", p("lighttpd.pid"));
        let _ = writeln!(c, "server.errorlog = \"{}\"", p("error.log"));
        let _ = writeln!(c, "server.modules = (\"{}\")", self.module.module_name());
        let _ = writeln!(c, "index-file.names = (\"index.html\")");
        let _ = writeln!(c, "ssl.engine = \"enable\"");
        let _ = writeln!(c, "ssl.pemfile = \"{}\"", self.chain_pem.display());
        let _ = writeln!(c, "ssl.privkey = \"{}\"", self.key_pem.display());
        if let Some(ca) = &self.ca_file {
            let _ = writeln!(c, "ssl.ca-file = \"{}\"", ca.display());
        }
        if let Some(on) = self.server_preference {
            let _ = writeln!(
                c,
                "ssl.honor-cipher-order = \"{}\"",
                if on { "enable" } else { "disable" }
            );
        }
        let mut commands: Vec<(&str, String)> = Vec::new();
        if let Some(min) = self.min_protocol {
            commands.push(("MinProtocol", conf_cmd_name(min).to_owned()));
        }
        if let Some(max) = self.max_protocol {
            commands.push(("MaxProtocol", conf_cmd_name(max).to_owned()));
        }
        if let Some(ciphers) = &self.cipher_string {
            commands.push(("CipherString", ciphers.clone()));
        }
        if let Some(groups) = &self.groups {
            commands.push(("Groups", groups.clone()));
        }
        if !self.options.is_empty() {
            commands.push(("Options", self.options.join(",")));
        }
        if !commands.is_empty() {
            let pairs: Vec<String> = commands
                .iter()
                .map(|(key, value)| format!("\"{key}\" => \"{value}\""))
                .collect();
            let _ = writeln!(c, "ssl.openssl.ssl-conf-cmd = ({})", pairs.join(", "));
        }
        Ok(c)
    }
}

/// The `MinProtocol`/`MaxProtocol` word all three modules read (lighttpd's own spelling:
/// `TLSv1.0`, where OpenSSL's SSL_CONF says `TLSv1`).
const fn conf_cmd_name(version: ProtocolVersion) -> &'static str {
    match version {
        ProtocolVersion::Ssl2 | ProtocolVersion::Ssl3 => "SSLv3",
        ProtocolVersion::Tls10 => "TLSv1.0",
        ProtocolVersion::Tls11 => "TLSv1.1",
        ProtocolVersion::Tls12 => "TLSv1.2",
        ProtocolVersion::Tls13 => "TLSv1.3",
    }
}

/// Whether lighttpd logged that its port was taken (it exits then, and the start is retried
/// on another port).
fn log_says_port_taken(error_log: &Path) -> bool {
    fs::read_to_string(error_log).is_ok_and(|log| log.contains("Address already in use"))
}

/// `error` with lighttpd's error log appended to its output (the module's complaints about
/// the configuration go there, not to stderr).
fn with_error_log(error: TestbedError, error_log: &Path) -> TestbedError {
    let log = fs::read_to_string(error_log).unwrap_or_default();
    match error {
        TestbedError::Exited {
            server,
            status,
            command,
            log: out,
        } => TestbedError::Exited {
            server,
            status,
            command,
            log: format!("{out}{log}"),
        },
        TestbedError::StartTimeout {
            server,
            addr,
            timeout,
            command,
            log: out,
        } => TestbedError::StartTimeout {
            server,
            addr,
            timeout,
            command,
            log: format!("{out}{log}"),
        },
        other => other,
    }
}

/// A running lighttpd on 127.0.0.1. Dropping it kills it (by PID) and reaps it.
#[derive(Debug)]
pub struct LighttpdServer {
    process: ServerProcess,
    addr: SocketAddr,
    module: TlsModule,
    dir: tempfile::TempDir,
}

impl LighttpdServer {
    /// A builder serving `leaf` with its chain over `module`, with the module's default
    /// protocols and suites.
    pub fn builder(leaf: &Leaf, module: TlsModule) -> LighttpdServerBuilder {
        LighttpdServerBuilder {
            module,
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            min_protocol: None,
            max_protocol: None,
            cipher_string: None,
            groups: None,
            ca_file: None,
            server_preference: None,
            options: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// The HTTPS address (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The HTTPS port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The TLS module it serves with.
    pub fn module(&self) -> TlsModule {
        self.module
    }

    /// lighttpd's PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The generated configuration.
    pub fn config(&self) -> String {
        fs::read_to_string(self.dir.path().join("lighttpd.conf")).unwrap_or_default()
    }

    /// The tail of lighttpd's error log (the TLS module logs each failed handshake there).
    pub fn error_log(&self) -> String {
        let text = fs::read(self.dir.path().join("error.log")).unwrap_or_default();
        String::from_utf8_lossy(&text[text.len().saturating_sub(4096)..]).into_owned()
    }
}
