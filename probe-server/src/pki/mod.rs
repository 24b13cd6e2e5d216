//! Certificates: what a chain says ([`certificate`]), whether it is trusted for the name
//! ([`trust`]), and the stapled OCSP response ([`ocsp`]). Pure over DER bytes and a clock;
//! fetching a missing issuer is the scan's job (it is a connection, and every connection
//! goes through [`crate::target::egress`]).

pub mod caa;
pub mod certificate;
pub mod ct;
pub mod must_staple;
pub mod ocsp;
pub mod trust;

use shared::Trust;

use self::certificate::CertificateInfo;

/// A chain as judged: each certificate's details, and the trust verdict for the name.
#[derive(Debug, Clone)]
pub struct JudgedChain {
    pub certificates: Vec<CertificateInfo>,
    pub trust: Trust,
    /// The stapled OCSP response the chain was judged with (empty when none), for the SCTs
    /// it may carry.
    pub ocsp: Vec<u8>,
}

/// Another chain the server serves (see `Report::other_chains`), judged like the first.
#[derive(Debug, Clone)]
pub struct OtherChain {
    /// The leaf key's algorithm ("RSA", "EC", "Ed25519").
    pub key_type: String,
    /// Which clients get it, in words.
    pub served_to: String,
    pub judged: JudgedChain,
}
