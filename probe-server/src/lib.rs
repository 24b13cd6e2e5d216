//! The TLS probe server's library.

pub mod iana;
pub mod wire;
