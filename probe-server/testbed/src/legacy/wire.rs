//! The bytes on the wire, written out locally from the RFCs (deliberately independent of the
//! probe's codec: a bug in one must not hide a bug in the other).
//!
//! - Record layer: RFC 6101 §5.2.1 (SSL 3.0), RFC 5246 §6.2.1 (TLS 1.2).
//! - Handshake framing: RFC 5246 §7.4.
//! - Alerts: RFC 5246 §7.2, RFC 7507 §2 (inappropriate_fallback).
//! - SSL 2.0 record header: Hickman, "The SSL Protocol" (1995), "SSL Record Header Format".

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// ContentType (RFC 5246 §6.2.1; heartbeat: RFC 6520 §3).
pub(crate) mod content {
    pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
    pub(crate) const ALERT: u8 = 21;
    pub(crate) const HANDSHAKE: u8 = 22;
    pub(crate) const HEARTBEAT: u8 = 24;
}

/// HandshakeType (RFC 5246 §7.4).
pub(crate) mod handshake {
    pub(crate) const CLIENT_HELLO: u8 = 1;
    pub(crate) const SERVER_HELLO: u8 = 2;
    pub(crate) const CERTIFICATE: u8 = 11;
    pub(crate) const SERVER_KEY_EXCHANGE: u8 = 12;
    pub(crate) const SERVER_HELLO_DONE: u8 = 14;
    pub(crate) const CLIENT_KEY_EXCHANGE: u8 = 16;
}

/// AlertDescription (RFC 5246 §7.2, RFC 7507 §2).
pub(crate) mod alert {
    pub(crate) const WARNING: u8 = 1;
    pub(crate) const FATAL: u8 = 2;
    pub(crate) const UNEXPECTED_MESSAGE: u8 = 10;
    pub(crate) const BAD_RECORD_MAC: u8 = 20;
    pub(crate) const HANDSHAKE_FAILURE: u8 = 40;
    pub(crate) const DECRYPT_ERROR: u8 = 51;
    pub(crate) const DECODE_ERROR: u8 = 50;
    pub(crate) const PROTOCOL_VERSION: u8 = 70;
    pub(crate) const UNRECOGNIZED_NAME: u8 = 112;
    pub(crate) const INAPPROPRIATE_FALLBACK: u8 = 86;
}

/// ExtensionType values the responders read or write.
pub(crate) mod ext {
    /// RFC 8422 §5.1.1 (was "elliptic_curves", RFC 4492).
    pub(crate) const SUPPORTED_GROUPS: u16 = 10;
    /// RFC 4492 §5.1.2.
    pub(crate) const EC_POINT_FORMATS: u16 = 11;
    /// RFC 5246 §7.4.1.4.1.
    pub(crate) const SIGNATURE_ALGORITHMS: u16 = 13;
    /// RFC 6066 §8 (OCSP stapling).
    pub(crate) const STATUS_REQUEST: u16 = 5;
    pub(crate) const SERVER_NAME: u16 = 0;
    pub(crate) const SUPPORTED_VERSIONS: u16 = 43;
    pub(crate) const KEY_SHARE: u16 = 51;
    /// RFC 6520 §2.
    pub(crate) const HEARTBEAT: u16 = 15;
    /// RFC 5746 §3.2.
    pub(crate) const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// The largest plaintext fragment (RFC 5246 §6.2.1: 2^14).
pub(crate) const MAX_FRAGMENT: usize = 1 << 14;

/// A bounds-checked reader over bytes: every read returns `None` on short input.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self) -> Option<usize> {
        self.bytes(3)
            .map(|b| (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
    }

    /// `opaque x<0..2^8-1>`.
    pub(crate) fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.bytes(usize::from(n))
    }

    /// `opaque x<0..2^16-1>`.
    pub(crate) fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.bytes(usize::from(n))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u24(out: &mut Vec<u8>, v: usize) {
    debug_assert!(v < 1 << 24);
    out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
}

/// `opaque x<0..2^8-1>`.
pub(crate) fn put_vec8(out: &mut Vec<u8>, body: &[u8]) {
    debug_assert!(body.len() < 1 << 8);
    out.push(body.len() as u8);
    out.extend_from_slice(body);
}

/// `opaque x<0..2^16-1>`.
pub(crate) fn put_vec16(out: &mut Vec<u8>, body: &[u8]) {
    debug_assert!(body.len() < 1 << 16);
    put_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

/// `opaque x<0..2^24-1>`.
pub(crate) fn put_vec24(out: &mut Vec<u8>, body: &[u8]) {
    put_u24(out, body.len());
    out.extend_from_slice(body);
}

/// A handshake message: `msg_type`, `uint24 length`, body (RFC 5246 §7.4).
pub(crate) fn handshake_message(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![msg_type];
    put_vec24(&mut out, body);
    out
}

/// `payload` as records of `content_type`, fragmented at 2^14 bytes (RFC 5246 §6.2.1). An
/// empty payload makes no record.
pub(crate) fn records(content_type: u8, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5 * (payload.len() / MAX_FRAGMENT + 1));
    for fragment in payload.chunks(MAX_FRAGMENT) {
        out.push(content_type);
        put_u16(&mut out, version);
        put_vec16(&mut out, fragment);
    }
    out
}

/// An alert record.
pub(crate) fn alert_record(version: u16, level: u8, description: u8) -> Vec<u8> {
    records(content::ALERT, version, &[level, description])
}

/// A record as read from the wire.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) content_type: u8,
    pub(crate) version: u16,
    pub(crate) fragment: Vec<u8>,
}

/// Reads one TLS record. `Ok(None)` on a clean end of stream before a header; an error on a
/// record longer than 2^14 + 2048 (RFC 5246 §6.2.3's limit for any record).
pub(crate) async fn read_record(stream: &mut TcpStream) -> io::Result<Option<Record>> {
    let mut header = [0u8; 5];
    match stream.read_exact(&mut header[..1]).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    stream.read_exact(&mut header[1..]).await?;
    let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
    if length > MAX_FRAGMENT + 2048 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "record too long",
        ));
    }
    let mut fragment = vec![0u8; length];
    stream.read_exact(&mut fragment).await?;
    Ok(Some(Record {
        content_type: header[0],
        version: u16::from_be_bytes([header[1], header[2]]),
        fragment,
    }))
}

/// Writes all of `bytes`.
pub(crate) async fn send(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// An SSL 2.0 record with the two-byte header (no padding): `1LLLLLLL LLLLLLLL` then the
/// data (Hickman, "SSL Record Header Format": the high bit of the first byte set).
pub(crate) fn sslv2_record(message: &[u8]) -> Vec<u8> {
    debug_assert!(message.len() <= 0x7fff);
    let mut out = vec![0x80 | (message.len() >> 8) as u8, message.len() as u8];
    out.extend_from_slice(message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_fragment_at_two_to_the_fourteen() {
        let payload = vec![7u8; MAX_FRAGMENT + 10];
        let out = records(content::HANDSHAKE, 0x0303, &payload);
        assert_eq!(&out[..5], &[22, 3, 3, 0x40, 0x00]);
        assert_eq!(
            &out[5 + MAX_FRAGMENT..10 + MAX_FRAGMENT],
            &[22, 3, 3, 0, 10]
        );
        assert_eq!(out.len(), payload.len() + 10);
        assert!(records(content::HANDSHAKE, 0x0303, &[]).is_empty());
    }

    #[test]
    fn reader_refuses_short_input() {
        let mut r = Reader::new(&[0, 3, 1, 2]);
        assert_eq!(r.vec16(), None);
        let mut r = Reader::new(&[2, 9, 8, 1]);
        assert_eq!(r.vec8(), Some(&[9u8, 8][..]));
        assert_eq!(r.u16(), None);
        assert_eq!(r.u8(), Some(1));
        assert!(r.is_empty());
    }

    #[test]
    fn sslv2_headers_set_the_high_bit() {
        assert_eq!(sslv2_record(&[4, 0]), vec![0x80, 2, 4, 0]);
        assert_eq!(&sslv2_record(&[0; 300])[..2], &[0x81, 0x2c]);
    }
}
