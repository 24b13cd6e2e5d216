//! A TLS 1.2 client that finishes the handshake, for the tests that need one: resumption by
//! session id and ticket, the Extended Master Secret, RFC 5746 renegotiation, Ticketbleed.
//!
//! The rest of the raw engine stops before the key exchange on purpose (see DESIGN.md);
//! this module completes it for the few suites a scanner needs to reach a Finished with any
//! TLS 1.2 server: ECDHE over X25519, P-256, P-384 or P-521 and RSA key transport, with AES-GCM. Every
//! primitive is aws-lc-rs's (agreement, PRF, AEAD, signature verification, RSA PKCS #1 v1.5
//! encryption); what is here is the protocol around them.
//!
//! - [`suites`]: the suites, groups and signature schemes offered.
//! - [`keys`]: PRF, master secret (classic and extended), key block, record protection.
//! - [`messages`]: ECDHE ServerKeyExchange (with its signed bytes), NewSessionTicket,
//!   Finished, ClientKeyExchange.
//! - [`client`]: the handshake state machine and renegotiation.

pub mod client;
pub mod keys;
pub mod messages;
pub mod suites;

pub use client::{ClientConfig, Connection, Handshake, Renegotiation, Resume, Session};

use crate::wire::WireError;
use crate::wire::server::Alert;

/// Why a TLS 1.2 handshake did not finish.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Tls12Error {
    /// The bytes or the connection (see [`WireError`]).
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The server ended the handshake with a fatal alert.
    #[error("the server sent the alert {0}")]
    Alert(Alert),
    /// The server closed the connection (or sent close_notify).
    #[error("the server closed the connection while we waited for {0}")]
    Closed(&'static str),
    /// A message or choice the protocol does not allow here.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// Something this client does not do (another version, group or scheme).
    #[error("not supported by this client: {0}")]
    Unsupported(String),
    /// The leaf certificate or its key could not be used.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The ServerKeyExchange signature does not verify under the leaf's key.
    #[error("the ServerKeyExchange signature does not verify")]
    BadSignature,
    /// The server's ECDHE public value is not a valid point.
    #[error("the server's ECDHE public value is invalid")]
    BadServerKeyShare,
    /// An encrypted record did not authenticate.
    #[error("a {0}-byte encrypted record did not authenticate (bad_record_mac)")]
    BadRecordMac(usize),
    /// The server's Finished does not match the handshake.
    #[error("the server's Finished does not verify")]
    BadFinished,
    /// The server's renegotiation_info is not what RFC 5746 requires.
    #[error("renegotiation_info: {0}")]
    BadRenegotiationInfo(String),
    /// The server refused a renegotiation (internal: turned into a [`Renegotiation`]).
    #[error("renegotiation refused: {0}")]
    RenegotiationRefused(String),
    /// A primitive failed (never expected).
    #[error("cryptography: {0}")]
    Crypto(&'static str),
}
