//! Test servers for the probe's tests and benchmarks.
//!
//! - [`pki`]: a generated test PKI with every certificate defect the probe detects.
//! - [`tls_server`]: in-process TLS (tokio-rustls) and HTTP servers on 127.0.0.1.
//!
//! Everything listens on loopback only, on a free port, and stops when dropped.

pub mod pki;
pub mod tls_server;

pub use pki::{Leaf, LeafIssuer, LeafKey, LeafSpec, TestPki};
pub use tls_server::{HttpAnswer, HttpServer, TlsServer, TlsServerSpec};
