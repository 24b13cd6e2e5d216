//! The servers the benchmark scans: real processes from Debian's packages, started (and
//! killed by PID on drop) by the testbed crate, each behind a counting [`Relay`].

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use testbed::{
    DhGroup, GnutlsServer, LeafKey, LeafSpec, LighttpdServer, NginxServer, OpensslServer,
    ProtocolVersion as V, TestPki, TlsModule,
};

use super::relay::Relay;

/// One target's configuration, as the table and RESULTS.md describe it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TargetSpec {
    /// Short id (`--targets` filter, table rows).
    pub(crate) id: &'static str,
    /// The host name scanned (SNI, certificate name).
    pub(crate) name: &'static str,
    /// What runs there, in a few words.
    pub(crate) summary: &'static str,
    /// The configuration, as given to the server.
    pub(crate) config: &'static str,
    pub(crate) start: fn(&TestPki, &str) -> Result<Server, String>,
}

/// A running server of any kind (killed and reaped by the testbed when dropped).
#[derive(Debug)]
pub(crate) enum Server {
    Openssl(OpensslServer),
    Gnutls(GnutlsServer),
    Nginx(NginxServer),
    Lighttpd(LighttpdServer),
}

impl Server {
    fn addr(&self) -> SocketAddr {
        match self {
            Self::Openssl(s) => s.addr(),
            Self::Gnutls(s) => s.addr(),
            Self::Nginx(s) => s.addr(),
            Self::Lighttpd(s) => s.addr(),
        }
    }

    fn http_addr(&self) -> Option<SocketAddr> {
        match self {
            Self::Nginx(s) => s.http_addr(),
            _ => None,
        }
    }
}

/// A started target: the server, its relay, and where its plain-HTTP port goes.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) spec: TargetSpec,
    // Field order is drop order: the relay stops before the server is killed.
    pub(crate) relay: Relay,
    pub(crate) server: Server,
    /// Port 80 for our probe's redirect check: nginx's HTTP listener, or a closed port.
    pub(crate) http: SocketAddr,
}

impl Target {
    /// Starts the server and its relay.
    pub(crate) fn start(
        spec: TargetSpec,
        pki: &TestPki,
        latency: Duration,
    ) -> Result<Self, String> {
        let server = (spec.start)(pki, spec.name)?;
        let relay = Relay::start(server.addr(), latency)
            .map_err(|e| format!("{}: cannot start the relay: {e}", spec.id))?;
        let http = match server.http_addr() {
            Some(addr) => addr,
            None => closed_port()?,
        };
        Ok(Self {
            spec,
            relay,
            server,
            http,
        })
    }

    /// The server's own address (behind the relay).
    pub(crate) fn upstream(&self) -> SocketAddr {
        self.server.addr()
    }
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> Result<SocketAddr, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("cannot find a closed port: {e}"))
}

fn rsa(pki: &TestPki, name: &str) -> testbed::Leaf {
    pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid(name)
    })
}

const MODERN_CIPHERS: &str =
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
const LEGACY_CIPHERS: &str = "ALL:!aNULL:!eNULL";
const NGINX_GOOD_CIPHERS: &str =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256";
const NGINX_BAD_CIPHERS: &str = "AES128-SHA:AES256-SHA:AES128-SHA256:ECDHE-RSA-AES128-SHA:DHE-RSA-AES128-SHA:AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
const NGINX_HSTS: &str = "max-age=63072000; includeSubDomains";

/// The matrix, in table order.
pub(crate) const TARGETS: &[TargetSpec] = &[
    TargetSpec {
        id: "openssl-modern",
        name: "modern.test",
        summary: "openssl s_server, TLS 1.2+1.3, modern suites",
        config: "OpenSSL 3.0 `s_server -www`, RSA-2048, `-min_protocol TLSv1.2`, `-cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305`, default TLS 1.3 suites, `-serverpref`",
        start: |pki, name| {
            let leaf = rsa(pki, name);
            OpensslServer::builder(&leaf)
                .versions(&[V::Tls12, V::Tls13])
                .cipher(MODERN_CIPHERS)
                .server_preference(true)
                .start()
                .map(Server::Openssl)
                .map_err(|e| format!("openssl-modern: {e}"))
        },
    },
    TargetSpec {
        id: "openssl-legacy",
        name: "legacy.test",
        summary: "openssl s_server, TLS 1.0–1.2, SECLEVEL=0, many suites (CBC, RSA kx, DHE-1024)",
        config: "OpenSSL 3.0 `s_server -www`, RSA-2048, TLS 1.0–1.2, `-cipher 'ALL:!aNULL:!eNULL:@SECLEVEL=0'`, `-dhparam` Oakley group 2 (1024-bit), client order",
        start: |pki, name| {
            let leaf = rsa(pki, name);
            OpensslServer::builder(&leaf)
                .versions(&[V::Tls10, V::Tls11, V::Tls12])
                .cipher(LEGACY_CIPHERS)
                .seclevel(0)
                .dhparam(DhGroup::Oakley1024)
                .start()
                .map(Server::Openssl)
                .map_err(|e| format!("openssl-legacy: {e}"))
        },
    },
    TargetSpec {
        id: "gnutls-rc4-3des",
        name: "gnutls.test",
        summary: "gnutls-serv, TLS 1.0–1.3, RC4 and 3DES added",
        config: "GnuTLS 3.7 `gnutls-serv --http`, RSA-2048, `--priority NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+ARCFOUR-128:+3DES-CBC:+RSA:+SHA1`, in its own network namespace",
        start: |pki, name| {
            let leaf = rsa(pki, name);
            GnutlsServer::builder(&leaf)
                .priority(GnutlsServer::LEGACY_PRIORITY)
                .start()
                .map(Server::Gnutls)
                .map_err(|e| format!("gnutls-rc4-3des: {e}"))
        },
    },
    TargetSpec {
        id: "nginx-good",
        name: "good.test",
        summary: "nginx, TLS 1.2+1.3, ECDSA, AEAD only, server order, HSTS",
        config: "nginx 1.22 (OpenSSL 3.0), ECDSA P-256, `ssl_protocols TLSv1.2 TLSv1.3`, `ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256`, `ssl_prefer_server_ciphers on`, HSTS 2 years, port 80 redirects",
        start: |pki, name| {
            let leaf = pki.leaf(&LeafSpec::valid(name));
            NginxServer::builder(&leaf)
                .versions(&[V::Tls12, V::Tls13])
                .ciphers(NGINX_GOOD_CIPHERS)
                .prefer_server_ciphers(true)
                .hsts(NGINX_HSTS)
                .http_redirect(true)
                .start()
                .map(Server::Nginx)
                .map_err(|e| format!("nginx-good: {e}"))
        },
    },
    TargetSpec {
        id: "nginx-bad",
        name: "bad.test",
        summary: "nginx, TLS 1.0–1.2, CBC, RSA key exchange, client order, no HSTS",
        config: "nginx 1.22 (OpenSSL 3.0), RSA-2048, `ssl_protocols TLSv1 TLSv1.1 TLSv1.2`, `ssl_ciphers 'AES128-SHA:AES256-SHA:AES128-SHA256:ECDHE-RSA-AES128-SHA:DHE-RSA-AES128-SHA:AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0'`, `ssl_dhparam` 1024-bit, `ssl_prefer_server_ciphers off`, no HSTS, no port 80",
        start: |pki, name| {
            let leaf = rsa(pki, name);
            NginxServer::builder(&leaf)
                .versions(&[V::Tls10, V::Tls11, V::Tls12])
                .ciphers(NGINX_BAD_CIPHERS)
                .dhparam(DhGroup::Oakley1024)
                .prefer_server_ciphers(false)
                .http_redirect(false)
                .start()
                .map(Server::Nginx)
                .map_err(|e| format!("nginx-bad: {e}"))
        },
    },
    TargetSpec {
        id: "wolfssl-lighttpd",
        name: "wolfssl.test",
        summary: "lighttpd on wolfSSL, TLS 1.2+1.3, the modern suites; refuses hellos of more than 150 suites",
        config: "lighttpd 1.4.69 `mod_wolfssl` (wolfSSL 5.5.4), RSA-2048, `ssl.openssl.ssl-conf-cmd` `MinProtocol TLSv1.2`, `CipherString ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305` (openssl-modern's), wolfSSL's TLS 1.3 suites, `ssl.ca-file` root + intermediate (so that it answers status_request)",
        start: |pki, name| {
            let leaf = rsa(pki, name);
            // wolfSSL checks its leaf against its own store when asked for OCSP status.
            let cas = pki.dir().join("wolfssl-cas.pem");
            let mut pem = std::fs::read(pki.root_pem()).map_err(|e| format!("root PEM: {e}"))?;
            pem.extend(
                std::fs::read(pki.intermediate_pem())
                    .map_err(|e| format!("intermediate PEM: {e}"))?,
            );
            std::fs::write(&cas, pem).map_err(|e| format!("write {}: {e}", cas.display()))?;
            LighttpdServer::builder(&leaf, TlsModule::Wolfssl)
                .protocols(V::Tls12, V::Tls13)
                .cipher_string(MODERN_CIPHERS)
                .ca_file(&cas)
                .start()
                .map(Server::Lighttpd)
                .map_err(|e| format!("wolfssl-lighttpd: {e}"))
        },
    },
];
