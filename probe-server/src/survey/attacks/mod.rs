//! The active attack tests, one per file: Heartbleed, CCS injection, TLS_FALLBACK_SCSV, and
//! TLS compression (ROBOT, which needs a key exchange, is [`super::robot`]). Each runs one
//! handshake up to the server's flight and then does what the attack does, on the same
//! connection.
//!
//! Heartbleed and CCS injection follow their probe with a malformed handshake record. A
//! server answers that with an alert straight away, and it processes records in order, so
//! whatever it made of the probe arrives before the alert: no test waits on silence (which
//! would also stall servers that serve one connection at a time).

pub mod ccs_injection;
pub mod compression;
pub mod fallback_scsv;
pub mod heartbleed;
pub mod ticketbleed;

use std::time::Duration;

use crate::wire::record::{ContentType, Record};

/// decryption_failed (21): reserved since TLS 1.1, but what OpenSSL 0.9.8/1.0.0 sent.
const DECRYPTION_FAILED: u8 = 21;

/// How long to wait for the answer to a follow-up.
const FOLLOW_UP: Duration = Duration::from_secs(4);

/// A close_notify alert: every server closes the connection on it, after answering what
/// came before it — which flushes out its answer to a probe without waiting on silence.
fn flush_record(version: u16) -> Vec<u8> {
    Record {
        content_type: ContentType::Alert,
        version,
        payload: vec![1, 0],
    }
    .encode()
}
