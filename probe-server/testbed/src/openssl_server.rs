//! `openssl s_server` (Debian's OpenSSL 3.0) as a test server.
//!
//! ```text
//! openssl s_server -accept 127.0.0.1:PORT -www -cert LEAF -key KEY [-cert_chain INTERMEDIATES]
//!     [-min_protocol … -max_protocol … -no_tls1_1 …] [-cipher …@SECLEVEL=N] [-ciphersuites …]
//!     [-groups …] [-dhparam FILE] [-serverpref] [-status_file OCSP.der] [extra args]
//! ```
//!
//! Mind the program's limits: **it serves one connection at a time** (a probe that opens
//! connections in parallel against it waits for each in turn), OpenSSL 3 has no SSL 3.0, no RC4
//! and no 3DES suites (use [`crate::GnutlsServer`] or the [`crate::legacy`] responders), and
//! TLS 1.0/1.1, SHA-1 and RSA-1024 need `@SECLEVEL=0` (set automatically when TLS 1.0 or 1.1
//! is enabled, unless [`OpensslServerBuilder::seclevel`] says otherwise).

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::dh::DhGroup;
use crate::error::{Result, TestbedError};
use crate::pki::Leaf;
use crate::process::{self, DEFAULT_START_TIMEOUT, PORT_ATTEMPTS, ServerProcess};
use crate::version::ProtocolVersion;

/// How to start an [`OpensslServer`]. Made by [`OpensslServer::builder`].
#[derive(Clone, Debug)]
pub struct OpensslServerBuilder {
    cert_pem: PathBuf,
    chain_pem: PathBuf,
    key_pem: PathBuf,
    versions: Option<Vec<ProtocolVersion>>,
    cipher: Option<String>,
    ciphersuites: Option<String>,
    groups: Option<String>,
    dhparam: Option<DhGroup>,
    server_preference: bool,
    ocsp_staple: Option<Vec<u8>>,
    seclevel: Option<u8>,
    www: bool,
    extra_args: Vec<String>,
    start_timeout: Duration,
}

impl OpensslServerBuilder {
    /// Sends the leaf alone, without the intermediate that issued it (an incomplete chain).
    pub fn leaf_only(mut self) -> Self {
        self.chain_pem = self.cert_pem.clone();
        self
    }

    /// Enables exactly these versions (TLS 1.0–1.3; default: OpenSSL's, TLS 1.2 and 1.3 at the
    /// default security level). Becomes `-min_protocol`/`-max_protocol` plus `-no_*` for gaps.
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = Some(versions.to_vec());
        self
    }

    /// The TLS 1.2-and-below cipher list (`-cipher`), e.g. `"ECDHE-RSA-AES128-GCM-SHA256"`.
    /// `@SECLEVEL=N` is appended from [`Self::seclevel`].
    pub fn cipher(mut self, cipher: &str) -> Self {
        self.cipher = Some(cipher.to_owned());
        self
    }

    /// The TLS 1.3 suites (`-ciphersuites`), e.g. `"TLS_AES_128_GCM_SHA256"`.
    pub fn ciphersuites(mut self, suites: &str) -> Self {
        self.ciphersuites = Some(suites.to_owned());
        self
    }

    /// The key-exchange groups (`-groups`), e.g. `"X25519:P-256"`.
    pub fn groups(mut self, groups: &str) -> Self {
        self.groups = Some(groups.to_owned());
        self
    }

    /// The DHE group (`-dhparam`, a PEM file written once per process).
    pub fn dhparam(mut self, group: DhGroup) -> Self {
        self.dhparam = Some(group);
        self
    }

    /// Choose suites by the server's order (`-serverpref`).
    pub fn server_preference(mut self, on: bool) -> Self {
        self.server_preference = on;
        self
    }

    /// Staple this DER OCSP response (`-status_file`), e.g. from [`crate::TestPki::ocsp_response`].
    pub fn ocsp_staple(mut self, der: Vec<u8>) -> Self {
        self.ocsp_staple = Some(der);
        self
    }

    /// The OpenSSL security level, appended to the cipher string as `@SECLEVEL=N`. Unset, it is
    /// 0 when TLS 1.0 or 1.1 is enabled and OpenSSL's default (2) otherwise.
    pub fn seclevel(mut self, level: u8) -> Self {
        self.seclevel = Some(level);
        self
    }

    /// Answer HTTP requests with a status page (`-www`, the default); off: an echo server.
    pub fn www(mut self, on: bool) -> Self {
        self.www = on;
        self
    }

    /// Any further `s_server` argument, passed as is (e.g. `"-no_ticket"`).
    pub fn arg(mut self, arg: &str) -> Self {
        self.extra_args.push(arg.to_owned());
        self
    }

    /// How long the start may take (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Starts the server and waits until it answers TLS on its own port. Blocks (about 50 ms);
    /// from async code, call it in `spawn_blocking`.
    pub fn start(self) -> Result<OpensslServer> {
        let openssl = process::find_program("openssl", "openssl")?;
        let dir = tempfile::Builder::new()
            .prefix("testbed-openssl-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let fixed_args = self.arguments(dir.path())?;
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, process::free_port()?));
            let mut args = vec![
                "s_server".to_owned(),
                "-accept".to_owned(),
                addr.to_string(),
            ];
            args.extend(fixed_args.iter().cloned());
            let mut child =
                ServerProcess::spawn("openssl s_server", &openssl, &args, &dir.path().join("log"))?;
            match child.wait_for_tls(addr, self.start_timeout) {
                Ok(()) => {
                    return Ok(OpensslServer {
                        process: child,
                        addr,
                        _dir: dir,
                    });
                }
                Err(e) if e.is_port_conflict() => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or(TestbedError::NoFreePort {
            server: "openssl s_server",
            attempts: PORT_ATTEMPTS,
        }))
    }

    /// The arguments after `-accept ADDR`.
    fn arguments(&self, dir: &Path) -> Result<Vec<String>> {
        let path = |p: &Path| p.display().to_string();
        let mut args: Vec<String> = Vec::new();
        if self.www {
            args.push("-www".into());
        }
        args.extend(["-cert".into(), path(&self.cert_pem)]);
        args.extend(["-key".into(), path(&self.key_pem)]);
        let intermediates = chain_without_leaf(&self.chain_pem)?;
        if !intermediates.trim().is_empty() {
            let file = dir.join("intermediates.pem");
            fs::write(&file, intermediates)
                .map_err(|e| TestbedError::io("write intermediates", e))?;
            args.extend(["-cert_chain".into(), path(&file)]);
        }
        let mut legacy = false;
        if let Some(versions) = &self.versions {
            let (min, max) = match (versions.iter().min(), versions.iter().max()) {
                (Some(min), Some(max)) => (*min, *max),
                _ => return Err(TestbedError::Config("no protocol version enabled".into())),
            };
            if min < ProtocolVersion::Tls10 {
                return Err(TestbedError::Config(format!(
                    "OpenSSL 3 cannot serve {min}: use the legacy responders"
                )));
            }
            let word = |v: ProtocolVersion| match v {
                ProtocolVersion::Tls10 => "TLSv1",
                ProtocolVersion::Tls11 => "TLSv1.1",
                ProtocolVersion::Tls12 => "TLSv1.2",
                _ => "TLSv1.3",
            };
            args.extend(["-min_protocol".into(), word(min).into()]);
            args.extend(["-max_protocol".into(), word(max).into()]);
            for v in ProtocolVersion::TLS {
                if v > min && v < max && !versions.contains(&v) {
                    args.push(format!("-no_{}", v.openssl_option()));
                }
            }
            legacy = min <= ProtocolVersion::Tls11;
        }
        let seclevel = self.seclevel.or(legacy.then_some(0));
        if self.cipher.is_some() || seclevel.is_some() {
            let mut cipher = self.cipher.clone().unwrap_or_else(|| "DEFAULT".into());
            if let Some(level) = seclevel.filter(|_| !cipher.contains("@SECLEVEL")) {
                cipher.push_str(&format!(":@SECLEVEL={level}"));
            }
            args.extend(["-cipher".into(), cipher]);
        }
        if let Some(suites) = &self.ciphersuites {
            args.extend(["-ciphersuites".into(), suites.clone()]);
        }
        if let Some(groups) = &self.groups {
            args.extend(["-groups".into(), groups.clone()]);
        }
        if let Some(group) = self.dhparam {
            args.extend(["-dhparam".into(), path(&group.pem_file()?)]);
        }
        if self.server_preference {
            args.push("-serverpref".into());
        }
        if let Some(der) = &self.ocsp_staple {
            let file = dir.join("ocsp.der");
            fs::write(&file, der).map_err(|e| TestbedError::io("write OCSP response", e))?;
            args.extend(["-status_file".into(), path(&file)]);
        }
        args.extend(self.extra_args.iter().cloned());
        Ok(args)
    }
}

/// The PEM blocks of a chain file after the first (the leaf's).
pub(crate) fn chain_without_leaf(chain_pem: &Path) -> Result<String> {
    let text = fs::read_to_string(chain_pem)
        .map_err(|e| TestbedError::io(format!("read {}", chain_pem.display()), e))?;
    const END: &str = "-----END CERTIFICATE-----";
    Ok(text
        .split_once(END)
        .map(|(_, rest)| rest.trim_start().to_owned())
        .unwrap_or_default())
}

/// A running `openssl s_server` on 127.0.0.1. Dropping it kills it (by PID) and reaps it.
#[derive(Debug)]
pub struct OpensslServer {
    process: ServerProcess,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl OpensslServer {
    /// A builder serving `leaf` (its key, and the intermediate from its chain file), with
    /// OpenSSL's defaults otherwise.
    pub fn builder(leaf: &Leaf) -> OpensslServerBuilder {
        OpensslServerBuilder {
            cert_pem: leaf.cert_pem.clone(),
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            versions: None,
            cipher: None,
            ciphersuites: None,
            groups: None,
            dhparam: None,
            server_preference: false,
            ocsp_staple: None,
            seclevel: None,
            www: true,
            extra_args: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// Where it listens (127.0.0.1:PORT).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
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
