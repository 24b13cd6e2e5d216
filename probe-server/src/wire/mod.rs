//! The raw TLS/SSL codec: bytes to typed messages and back, with no TLS library.
//!
//! Layers, bottom up:
//! - [`reader`]: [`Reader`] (a bounds-checked cursor) and [`Encoder`].
//! - [`record`]: record headers, the incremental [`RecordReader`], SSL 2.0 records.
//! - [`handshake`]: handshake framing and the capped [`HandshakeReassembler`].
//! - [`client_hello`] and [`extensions`]: what we send.
//! - [`server`]: parsers for what servers send (ServerHello, Certificate,
//!   ServerKeyExchange, CertificateStatus, ServerHelloDone, Alert, SSL 2.0 SERVER-HELLO).
//! - [`tls12`]: a TLS 1.2 client that completes the handshake (resumption, renegotiation).
//! - [`mod@exchange`]: the async primitive: send a hello, read the server's flight, bounded in
//!   time and bytes.
//!
//! Nothing here panics on network data: every malformed input is a [`WireError`].

pub mod client_hello;
pub mod error;
pub mod exchange;
pub mod extensions;
pub mod handshake;
pub mod reader;
pub mod record;
pub mod server;
#[cfg(test)]
mod testdata;
pub mod tls12;

pub use client_hello::{ClientHello, Padding, Ssl2ClientHello};
pub use error::WireError;
pub use exchange::{
    Exchange, FlightEnd, FlightParser, Limits, Refusal, ServerFlight, Verdict,
    connect_and_exchange, exchange, offer_suites,
};
pub use extensions::{ClientExtension, KeyShareEntry};
pub use handshake::{HandshakeMessage, HandshakeReassembler, HandshakeType};
pub use reader::{Encoder, Reader};
pub use record::{ContentType, Frame, Record, RecordReader};
pub use server::{
    Alert, CertificateChain, CertificateStatus, ServerHello, ServerKeyExchange, Ssl2Message,
};
