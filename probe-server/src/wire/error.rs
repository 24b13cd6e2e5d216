//! The one error type of the wire layer.

use std::time::Duration;

/// Everything that can go wrong between bytes on a socket and a typed message.
///
/// Each variant says what was wrong with the peer's bytes (or the connection), never panics
/// with them. The scanner nests this enum in its own error type; most variants are also a
/// finding in their own right ("this port does not speak TLS", "the server drip-feeds").
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended inside a field: `needed` more bytes were required to read
    /// `context`, only `available` were left.
    #[error("truncated {context}: needed {needed} bytes, {available} available")]
    Truncated {
        /// What was being read ("ServerHello", "record header", ...).
        context: &'static str,
        /// Bytes the field needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// Bytes were left over after a complete structure that must fill its container.
    #[error("{count} unexpected trailing bytes after {context}")]
    TrailingData {
        /// The structure that should have ended there.
        context: &'static str,
        /// How many bytes were left.
        count: usize,
    },
    /// A record announced more than the protocol allows (2^14 + 2048 for TLS ciphertext,
    /// 2^14 for plaintext we parse, 2^15 - 1 for SSL 2.0).
    #[error("record of {length} bytes exceeds the maximum of {max}")]
    RecordTooLong {
        /// The announced length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// A handshake message announced more than the configured cap; refused as soon as its
    /// header arrived, before buffering it.
    #[error("handshake message of {length} bytes exceeds the cap of {max}")]
    MessageTooLong {
        /// The announced length.
        length: usize,
        /// The cap.
        max: usize,
    },
    /// The server's flight went past the total byte cap.
    #[error("server flight exceeds the cap of {max} bytes")]
    FlightTooLarge {
        /// The cap.
        max: usize,
    },
    /// A list held more items than the configured bound (certificates, alerts, ...).
    #[error("too many {what}: more than {max}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// The bound.
        max: usize,
    },
    /// A message arrived where the protocol does not allow it.
    #[error("unexpected {got} (expected {expected})")]
    UnexpectedMessage {
        /// What was expected.
        expected: &'static str,
        /// What came ("handshake type 4", "application data record").
        got: String,
    },
    /// A length field contradicts the structure around it (odd length of a u16 list, an
    /// inner length larger than its container, an empty vector that may not be empty).
    #[error("bad length in {0}")]
    BadLength(&'static str),
    /// A field holds a value the protocol forbids.
    #[error("invalid {field}: {detail}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A TLS record header names a content type that does not exist.
    #[error("unknown record content type {0}")]
    UnknownContentType(u8),
    /// The peer does not speak TLS or SSL at all: its first bytes fit no record header.
    /// `guess` names what it looks like instead ("HTTP response", "SSH banner", ...).
    #[error("not TLS: the reply looks like {guess} (first bytes {first_bytes:02x?})")]
    NotTls {
        /// What the reply looks like.
        guess: &'static str,
        /// Up to 8 first bytes, for the report.
        first_bytes: Vec<u8>,
    },
    /// A read or the whole exchange ran out of time.
    #[error("timed out after {elapsed:?} waiting for {waiting_for} ({which} deadline)")]
    Timeout {
        /// "per-read" or "total".
        which: &'static str,
        /// What was awaited.
        waiting_for: &'static str,
        /// Time spent.
        elapsed: Duration,
    },
    /// The connection failed (reset, refused, broken pipe, ...).
    #[error("I/O error ({kind:?}): {message}")]
    Io {
        /// The error kind.
        kind: std::io::ErrorKind,
        /// The system's message.
        message: String,
    },
}

impl From<std::io::Error> for WireError {
    fn from(error: std::io::Error) -> Self {
        Self::Io {
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl WireError {
    /// True when the error is about time (tarpit, drip feed), not about bytes.
    pub const fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}
