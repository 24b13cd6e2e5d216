//! IANA registries the engine speaks: cipher suites, supported groups, signature schemes.
//! Plain `static` tables with lookup functions; no I/O, no allocation except the report
//! conversions.

pub mod cipher_suites;
pub mod dh_groups;
pub mod groups;
pub mod signature_schemes;
