//! nginx (Debian's nginx-light 1.22, built on OpenSSL 3.0) as a test server: an HTTPS
//! listener with the usual TLS directives, and a plain-HTTP listener that redirects to it.
//!
//! Each server has its own prefix directory and a generated `nginx.conf`:
//! `daemon off; master_process off;` (one process, ours to kill by PID), its pid file, error
//! log and temp paths in the prefix, `listen 127.0.0.1:PORT ssl` (never a wildcard address).
//!
//! nginx traps this module avoids: 1.22's default `ssl_protocols` lacks TLS 1.3 (the builder
//! always writes the directive); TLS 1.0/1.1 need `@SECLEVEL=0` in `ssl_ciphers` under
//! OpenSSL 3 (added automatically when they are enabled); `ssl_stapling_file` needs
//! `ssl_stapling on` and staples without any network access; headers on non-200 answers need
//! `always`.

use std::fmt::Write as _;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::dh::DhGroup;
use crate::error::{Result, TestbedError};
use crate::pki::Leaf;
use crate::process::{self, DEFAULT_START_TIMEOUT, PORT_ATTEMPTS, ServerProcess};
use crate::version::ProtocolVersion;

/// How to start an [`NginxServer`]. Made by [`NginxServer::builder`].
#[derive(Clone, Debug)]
pub struct NginxServerBuilder {
    chain_pem: PathBuf,
    key_pem: PathBuf,
    versions: Vec<ProtocolVersion>,
    ciphers: Option<String>,
    prefer_server_ciphers: bool,
    conf_commands: Vec<(String, String)>,
    dhparam: Option<DhGroup>,
    ocsp_staple: Option<Vec<u8>>,
    hsts: Option<String>,
    http_redirect: bool,
    extra_server_directives: Vec<String>,
    start_timeout: Duration,
    https_on: Option<SocketAddr>,
}

impl NginxServerBuilder {
    /// `ssl_protocols` (default TLS 1.2 and 1.3).
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// `ssl_ciphers` (OpenSSL syntax). `@SECLEVEL=0` is appended when TLS 1.0/1.1 is enabled.
    pub fn ciphers(mut self, ciphers: &str) -> Self {
        self.ciphers = Some(ciphers.to_owned());
        self
    }

    /// `ssl_prefer_server_ciphers on|off` (default off, nginx's default).
    pub fn prefer_server_ciphers(mut self, on: bool) -> Self {
        self.prefer_server_ciphers = on;
        self
    }

    /// `ssl_conf_command NAME VALUE` (OpenSSL SSL_CONF), e.g. `("Ciphersuites",
    /// "TLS_AES_256_GCM_SHA384")` or `("Groups", "P-256")`.
    pub fn conf_command(mut self, name: &str, value: &str) -> Self {
        self.conf_commands.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `ssl_dhparam` (a PEM file written once per process).
    pub fn dhparam(mut self, group: DhGroup) -> Self {
        self.dhparam = Some(group);
        self
    }

    /// Staple this DER OCSP response (`ssl_stapling on; ssl_stapling_file …`).
    pub fn ocsp_staple(mut self, der: Vec<u8>) -> Self {
        self.ocsp_staple = Some(der);
        self
    }

    /// `add_header Strict-Transport-Security "VALUE" always` on the HTTPS listener.
    pub fn hsts(mut self, value: &str) -> Self {
        self.hsts = Some(value.to_owned());
        self
    }

    /// Also listen for plain HTTP and answer `301` to `https://HOST:PORT/…` (default on).
    pub fn http_redirect(mut self, on: bool) -> Self {
        self.http_redirect = on;
        self
    }

    /// A raw directive for the HTTPS `server` block, e.g. `"ssl_session_tickets off;"`.
    pub fn server_directive(mut self, directive: &str) -> Self {
        self.extra_server_directives.push(directive.to_owned());
        self
    }

    /// How long the start may take (default 10 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Listen for HTTPS on this loopback address and port instead of a free port on
    /// 127.0.0.1: 127.0.0.2 and up are loopback too, so two servers can stand behind one
    /// name on one port (a site with several addresses). Port 0: a free one. A port named is
    /// taken as given: busy is an error, not retried on another.
    pub fn https_on(mut self, addr: SocketAddr) -> Self {
        self.https_on = Some(addr);
        self
    }

    /// Writes the configuration, starts nginx and waits until it answers TLS on its own port
    /// (and listens on its HTTP port). Blocks (about 100 ms); from async code, call it in
    /// `spawn_blocking`.
    pub fn start(self) -> Result<NginxServer> {
        let nginx = process::find_program("nginx", "nginx-light")?;
        let dir = tempfile::Builder::new()
            .prefix("testbed-nginx-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let prefix = dir.path();
        for sub in ["tmp", "logs"] {
            fs::create_dir_all(prefix.join(sub))
                .map_err(|e| TestbedError::io("create the nginx prefix", e))?;
        }
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let https = match self.https_on {
                Some(addr) if addr.port() != 0 => addr,
                Some(addr) => SocketAddr::new(addr.ip(), process::free_port()?),
                None => SocketAddr::from((Ipv4Addr::LOCALHOST, process::free_port()?)),
            };
            let http = self
                .http_redirect
                .then(process::free_port)
                .transpose()?
                .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
            let conf = prefix.join("nginx.conf");
            fs::write(&conf, self.config(prefix, https, http)?)
                .map_err(|e| TestbedError::io("write nginx.conf", e))?;
            let error_log = prefix.join("logs/error.log");
            let args: Vec<String> = vec![
                "-p".into(),
                format!("{}/", prefix.display()),
                "-c".into(),
                conf.display().to_string(),
                "-e".into(),
                error_log.display().to_string(),
            ];
            let mut child = ServerProcess::spawn("nginx", &nginx, &args, &prefix.join("stderr"))?;
            let started = child
                .wait_for_tls(https, self.start_timeout)
                .and_then(|()| match http {
                    Some(http) => child.wait_for_listener(http, self.start_timeout),
                    None => Ok(()),
                });
            match started {
                Ok(()) => {
                    return Ok(NginxServer {
                        process: child,
                        https,
                        http,
                        dir,
                    });
                }
                Err(e) if e.is_port_conflict() && self.https_on.is_none_or(|a| a.port() == 0) => {
                    last_error = Some(e);
                }
                Err(e) => {
                    let log = fs::read_to_string(&error_log).unwrap_or_default();
                    return Err(match e {
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
                        other => other,
                    });
                }
            }
        }
        Err(last_error.unwrap_or(TestbedError::NoFreePort {
            server: "nginx",
            attempts: PORT_ATTEMPTS,
        }))
    }

    /// The generated nginx.conf.
    fn config(&self, prefix: &Path, https: SocketAddr, http: Option<SocketAddr>) -> Result<String> {
        let p = |name: &str| prefix.join(name).display().to_string();
        if self.versions.is_empty() {
            return Err(TestbedError::Config("no protocol version enabled".into()));
        }
        if let Some(v) = self.versions.iter().find(|v| **v < ProtocolVersion::Tls10) {
            return Err(TestbedError::Config(format!(
                "nginx on OpenSSL 3 cannot serve {v}: use the legacy responders"
            )));
        }
        let legacy = self.versions.iter().any(|v| *v <= ProtocolVersion::Tls11);
        let mut c = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(c, "daemon off;\nmaster_process off;\nworker_processes 1;");
        let _ = writeln!(c, "pid {};", p("nginx.pid"));
        let _ = writeln!(c, "error_log {} info;", p("logs/error.log"));
        let _ = writeln!(c, "events {{ worker_connections 256; }}");
        let _ = writeln!(c, "http {{");
        let _ = writeln!(c, "  access_log {};", p("logs/access.log"));
        for (directive, sub) in [
            ("client_body_temp_path", "tmp/body"),
            ("proxy_temp_path", "tmp/proxy"),
            ("fastcgi_temp_path", "tmp/fastcgi"),
            ("uwsgi_temp_path", "tmp/uwsgi"),
            ("scgi_temp_path", "tmp/scgi"),
        ] {
            let _ = writeln!(c, "  {directive} {};", p(sub));
        }
        let _ = writeln!(c, "  default_type text/plain;");
        let _ = writeln!(c, "  server {{");
        let _ = writeln!(c, "    listen {https} ssl;");
        let _ = writeln!(c, "    server_name _;");
        let _ = writeln!(c, "    ssl_certificate {};", self.chain_pem.display());
        let _ = writeln!(c, "    ssl_certificate_key {};", self.key_pem.display());
        let protocols: Vec<&str> = self.versions.iter().map(|v| v.nginx_name()).collect();
        let _ = writeln!(c, "    ssl_protocols {};", protocols.join(" "));
        if self.ciphers.is_some() || legacy {
            let mut ciphers = self.ciphers.clone().unwrap_or_else(|| "DEFAULT".into());
            if legacy && !ciphers.contains("@SECLEVEL") {
                ciphers.push_str(":@SECLEVEL=0");
            }
            let _ = writeln!(c, "    ssl_ciphers \"{ciphers}\";");
        }
        let on_off = if self.prefer_server_ciphers {
            "on"
        } else {
            "off"
        };
        let _ = writeln!(c, "    ssl_prefer_server_ciphers {on_off};");
        for (name, value) in &self.conf_commands {
            let _ = writeln!(c, "    ssl_conf_command {name} \"{value}\";");
        }
        if let Some(group) = self.dhparam {
            let _ = writeln!(c, "    ssl_dhparam {};", group.pem_file()?.display());
        }
        if let Some(der) = &self.ocsp_staple {
            let file = prefix.join("ocsp.der");
            fs::write(&file, der).map_err(|e| TestbedError::io("write OCSP response", e))?;
            let _ = writeln!(
                c,
                "    ssl_stapling on;\n    ssl_stapling_file {};",
                file.display()
            );
        }
        if let Some(hsts) = &self.hsts {
            let _ = writeln!(
                c,
                "    add_header Strict-Transport-Security \"{hsts}\" always;"
            );
        }
        for directive in &self.extra_server_directives {
            let _ = writeln!(c, "    {directive}");
        }
        let _ = writeln!(c, "    location / {{ return 200 \"hello\\n\"; }}");
        let _ = writeln!(c, "  }}");
        if let Some(http) = http {
            let _ = writeln!(c, "  server {{");
            let _ = writeln!(c, "    listen {http};");
            let _ = writeln!(c, "    server_name _;");
            let _ = writeln!(
                c,
                "    location / {{ return 301 https://$host:{}$request_uri; }}",
                https.port()
            );
            let _ = writeln!(c, "  }}");
        }
        let _ = writeln!(c, "}}");
        Ok(c)
    }
}

/// A running nginx on 127.0.0.1. Dropping it kills it (by PID) and reaps it.
#[derive(Debug)]
pub struct NginxServer {
    process: ServerProcess,
    https: SocketAddr,
    http: Option<SocketAddr>,
    dir: tempfile::TempDir,
}

impl NginxServer {
    /// A builder serving `leaf` with its chain, TLS 1.2 and 1.3, nginx's default ciphers,
    /// an HTTP listener that redirects to HTTPS, and no HSTS.
    pub fn builder(leaf: &Leaf) -> NginxServerBuilder {
        NginxServerBuilder {
            chain_pem: leaf.chain_pem.clone(),
            key_pem: leaf.key_pem.clone(),
            versions: vec![ProtocolVersion::Tls12, ProtocolVersion::Tls13],
            ciphers: None,
            prefer_server_ciphers: false,
            conf_commands: Vec::new(),
            dhparam: None,
            ocsp_staple: None,
            hsts: None,
            http_redirect: true,
            extra_server_directives: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
            https_on: None,
        }
    }

    /// The HTTPS address (127.0.0.1:PORT, or what `https_on` named).
    pub fn addr(&self) -> SocketAddr {
        self.https
    }

    /// The HTTPS port.
    pub fn port(&self) -> u16 {
        self.https.port()
    }

    /// The plain-HTTP address that redirects to HTTPS, if enabled.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
    }

    /// nginx's PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The generated configuration.
    pub fn config(&self) -> String {
        fs::read_to_string(self.dir.path().join("nginx.conf")).unwrap_or_default()
    }

    /// The tail of nginx's error log, for diagnostics.
    pub fn error_log(&self) -> String {
        let text = fs::read(self.dir.path().join("logs/error.log")).unwrap_or_default();
        String::from_utf8_lossy(&text[text.len().saturating_sub(4096)..]).into_owned()
    }
}
