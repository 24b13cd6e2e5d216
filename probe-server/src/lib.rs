//! The TLS probe: scans a server's TLS configuration and grades it.
//!
//! The modules read as the pipeline, and every import points down it (see ARCHITECTURE.md):
//!
//! 1. [`target`]: what to scan (parse, resolve, `--connect-to`) and the one decision on where
//!    any connection of a scan may go ([`target::egress`]);
//! 2. [`verified`]: the modern client's handshake (rustls) and the HTTP layer over it;
//! 3. [`survey`]: the raw engine's probes (every version, suite, group, attack), over
//!    [`wire`] (the TLS codec) and [`iana`] (the registries);
//! 4. [`pki`]: certificates, trust, OCSP;
//! 5. [`assess`]: observations → checks → rating → the report;
//!
//! [`scan`] runs the stages for one target; [`cli`] and [`server`] are the front ends.
//!
//! Public are the modules the binary, the integration tests and the fuzz targets use; the
//! stages whose only client is [`scan`] (`verified`, `assess`) are not.

pub(crate) mod assess;
pub mod cli;
pub mod error;
pub mod iana;
pub mod pki;
pub mod scan;
pub mod server;
pub mod store;
pub mod survey;
pub mod target;
pub(crate) mod verified;
pub mod watch;
pub mod wire;

pub use error::ProbeError;
