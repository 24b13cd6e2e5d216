//! The TLS probe: scans a server's TLS configuration and grades it.
//!
//! Data flows one way: handshakes gather [`observations::Observations`], [`checks`] judge
//! them into findings, [`rating`] turns findings into a grade, and [`scan`] assembles the
//! report (`shared::Report`). The [`cli`] and the HTTP [`server`] are thin shells around
//! [`scan::Scanner`]. The raw TLS codec that speaks what rustls cannot (SSLv2 to TLS 1.3
//! hellos with any suite, group or extension) is [`wire`]; the IANA registries are [`iana`].

pub mod address_policy;
pub mod certificate;
pub mod checks;
pub mod cli;
pub mod config;
pub mod connect_to;
pub mod error;
pub mod http_probe;
pub mod iana;
pub mod observations;
pub mod ocsp;
pub mod rating;
pub mod render;
pub mod resolve;
pub mod scan;
pub mod server;
pub mod simulation;
pub mod survey;
pub mod target;
pub mod trust;
pub mod verified;
pub mod vulnerabilities;
pub mod wire;

pub use error::ProbeError;
