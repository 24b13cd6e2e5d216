//! Test servers for the probe's tests and benchmarks.
//!
//! - [`pki`]: a generated test PKI with every certificate defect the probe detects.
//! - [`tls_server`]: in-process TLS (tokio-rustls) and HTTP servers on 127.0.0.1.
//! - Real servers from Debian's packages, each started as a process, watched until it really
//!   answers TLS on a port that is really its own, and killed by PID and reaped on drop
//!   (also when the test binary dies: PDEATHSIG): [`OpensslServer`] (`openssl s_server`),
//!   [`GnutlsServer`] (`gnutls-serv`, in a [`NetNamespace`] of its own since it binds
//!   0.0.0.0), [`NginxServer`], [`LighttpdServer`] (on mbedTLS, wolfSSL or NSS). The
//!   crate-private `process` module says how.
//! - Other TLS stacks, started the same way: [`JavaServer`] (JSSE, OpenJDK 17's
//!   HttpsServer), [`GoServer`] (crypto/tls, built with the Go toolchain of
//!   `cargo xtask setup`), [`ErlangServer`] (OTP's ssl), [`BotanServer`] (`botan tls_server`,
//!   in a [`NetNamespace`]: it binds 0.0.0.0).
//! - [`legacy`]: responders written from the RFCs for what Debian no longer serves: SSL 2.0,
//!   SSL 3.0, export suites, compression, Heartbleed, CCS injection, insecure renegotiation,
//!   arbitrary suite lists and preference orders.
//! - [`ticketbleed`]: a relay in front of a real server that leaks like F5's Ticketbleed.
//! - [`hostile`]: servers that misbehave, for the probe's robustness tests.
//! - [`dh`]: Diffie-Hellman groups (RFC 2409, RFC 7919, and a 512-bit export group).
//!
//! Everything listens on loopback (or inside network namespaces of its own), on a free port,
//! and stops when dropped. Starting anything returns [`Result`](error::Result) with a
//! [`TestbedError`] that says what to install or what the server printed.
//!
//! Debian packages needed: `openssl gnutls-bin nginx-light iproute2` (and util-linux's
//! `setpriv`, always present); for the other stacks `openjdk-17-jdk-headless botan
//! erlang-ssl lighttpd lighttpd-mod-mbedtls lighttpd-mod-wolfssl lighttpd-mod-nss`.

mod background;
pub mod botan_server;
mod crypto;
pub mod dh;
pub mod dns_server;
pub mod erlang_server;
pub mod error;
pub mod gnutls_server;
pub mod go_server;
pub mod hostile;
pub mod java_server;
pub mod legacy;
pub mod lighttpd_server;
pub mod netns;
pub mod nginx_server;
pub mod openssl_server;
pub mod pki;
pub mod postgres_server;
pub(crate) mod process;
pub mod redis_server;
mod runtime;
pub mod ticketbleed;
pub mod tls_server;
pub mod version;

pub use botan_server::{BotanServer, BotanServerBuilder};
pub use dh::{DhGroup, DhParams};
pub use dns_server::{DnsServer, DnsServerBuilder};
pub use erlang_server::{ErlangServer, ErlangServerBuilder};
pub use error::TestbedError;
pub use gnutls_server::{GnutlsServer, GnutlsServerBuilder};
pub use go_server::{GoServer, GoServerBuilder};
pub use hostile::{Hostile, HostileServer};
pub use java_server::{JavaServer, JavaServerBuilder};
pub use legacy::{LegacyServer, LegacyServerSpec, ServerCertificate, SslV2Server, SslV2Spec};
pub use lighttpd_server::{LighttpdServer, LighttpdServerBuilder, TlsModule};
pub use netns::NetNamespace;
pub use nginx_server::{NginxServer, NginxServerBuilder};
pub use openssl_server::{OpensslServer, OpensslServerBuilder};
pub use pki::{Leaf, LeafIssuer, LeafKey, LeafSpec, TestPki};
pub use postgres_server::PostgresServer;
pub use redis_server::RedisServer;
pub use ticketbleed::TicketbleedServer;
pub use tls_server::{HttpAnswer, HttpServer, TlsServer, TlsServerSpec};
pub use version::ProtocolVersion;
pub mod ct;
pub use ct::{CtEntry, TestCtLog};
pub use pki::EmbeddedSct;
