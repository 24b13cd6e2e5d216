//! Reading a client's first message: a TLS ClientHello (RFC 5246 §7.4.1.2, possibly split
//! over several records), or an SSL 2.0 CLIENT-HELLO, which is also the "SSLv2-compatible"
//! hello of TLS clients (RFC 5246 Appendix E.2; Hickman, "CLIENT-HELLO").

use std::io;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::wire::{self, Reader, content, handshake};

/// The largest first message accepted (a ClientHello is at most a few KB in practice).
const MAX_HELLO: usize = 1 << 17;

/// What a client offered in its first message.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientHello {
    /// `client_version`.
    pub(crate) version: u16,
    /// The legacy session id (empty for SSL 2.0).
    pub(crate) session_id: Vec<u8>,
    /// `random` (for SSL 2.0: the challenge, right-aligned in 32 bytes, RFC 5246 E.2).
    pub(crate) random: [u8; 32],
    pub(crate) cipher_suites: Vec<u16>,
    pub(crate) compression_methods: Vec<u8>,
    /// Extensions in the order sent: type and body.
    pub(crate) extensions: Vec<(u16, Vec<u8>)>,
    /// Sent in SSL 2.0 format.
    pub(crate) sslv2_format: bool,
    /// The SSL 2.0 cipher kinds (3 bytes each, as u32) of an SSL 2.0-format hello.
    pub(crate) sslv2_cipher_kinds: Vec<u32>,
    /// The length of a TLS hello's body (after the handshake header); 0 for SSL 2.0.
    pub(crate) length: usize,
}

impl ClientHello {
    /// A TLS ClientHello body (after the 4-byte handshake header).
    pub(crate) fn parse_tls(body: &[u8]) -> Option<Self> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random: [u8; 32] = r.bytes(32)?.try_into().ok()?;
        let session_id = r.vec8()?.to_vec();
        let suites = r.vec16()?;
        if suites.len() % 2 != 0 {
            return None;
        }
        let cipher_suites = suites
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        let compression_methods = r.vec8()?.to_vec();
        let mut extensions = Vec::new();
        // Extensions are optional (absent in SSL 3.0-era hellos, RFC 5246 §7.4.1.2).
        if !r.is_empty() {
            let mut exts = Reader::new(r.vec16()?);
            while !exts.is_empty() {
                let kind = exts.u16()?;
                extensions.push((kind, exts.vec16()?.to_vec()));
            }
        }
        Some(Self {
            version,
            random,
            cipher_suites,
            compression_methods,
            extensions,
            session_id,
            length: body.len(),
            ..Self::default()
        })
    }

    /// An SSL 2.0 CLIENT-HELLO message (after the record header):
    /// `MSG-CLIENT-HELLO(1) CLIENT-VERSION(2) CIPHER-SPECS-LENGTH(2) SESSION-ID-LENGTH(2)
    /// CHALLENGE-LENGTH(2) CIPHER-SPECS-DATA SESSION-ID-DATA CHALLENGE-DATA`.
    pub(crate) fn parse_sslv2(message: &[u8]) -> Option<Self> {
        let mut r = Reader::new(message);
        if r.u8()? != 1 {
            return None;
        }
        let version = r.u16()?;
        let specs_len = usize::from(r.u16()?);
        let session_len = usize::from(r.u16()?);
        let challenge_len = usize::from(r.u16()?);
        if specs_len % 3 != 0 || !(16..=32).contains(&challenge_len) {
            return None;
        }
        let specs = r.bytes(specs_len)?;
        let _session = r.bytes(session_len)?;
        let challenge = r.bytes(challenge_len)?;
        let kinds: Vec<u32> = specs
            .chunks(3)
            .map(|c| (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]))
            .collect();
        let mut random = [0u8; 32];
        random[32 - challenge_len..].copy_from_slice(challenge);
        Some(Self {
            version,
            random,
            // V2CipherSpecs whose first byte is 0 are TLS suites (RFC 5246 E.2).
            cipher_suites: kinds
                .iter()
                .filter(|k| *k >> 16 == 0)
                .map(|k| *k as u16)
                .collect(),
            compression_methods: vec![0],
            extensions: Vec::new(),
            sslv2_format: true,
            sslv2_cipher_kinds: kinds,
            session_id: Vec::new(),
            length: 0,
        })
    }

    /// The body of an extension, if the client sent it.
    pub(crate) fn extension(&self, kind: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, body)| body.as_slice())
    }

    /// A `u16` list extension body (`supported_groups`, `signature_algorithms`): its entries.
    pub(crate) fn u16_list(&self, kind: u16) -> Option<Vec<u16>> {
        let mut r = Reader::new(self.extension(kind)?);
        let list = r.vec16()?;
        Some(
            list.chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
        )
    }

    pub(crate) fn offers(&self, suite: u16) -> bool {
        self.cipher_suites.contains(&suite)
    }
}

/// What came first on a connection.
#[derive(Debug)]
pub(crate) enum FirstMessage {
    /// A ClientHello (TLS or SSL 2.0 format).
    Hello(ClientHello),
    /// A whole TLS record that is not a handshake record (e.g. a heartbeat before the hello).
    Record(wire::Record),
    /// Handshake records that do not hold a well-formed ClientHello.
    Malformed,
    /// Bytes that are not TLS (nor SSL 2.0).
    Garbage,
    /// The client closed.
    Closed,
}

/// Reads the client's first message. TLS handshake records are gathered until the whole
/// ClientHello is in (RFC 5246 §6.2.1 allows it to be fragmented); other records are
/// returned as they come.
pub(crate) async fn read_first(stream: &mut TcpStream) -> io::Result<FirstMessage> {
    let mut first = [0u8; 2];
    match stream.read_exact(&mut first).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(FirstMessage::Closed),
        Err(e) => return Err(e),
    }
    if first[0] & 0x80 != 0 {
        // SSL 2.0 two-byte header: 15-bit length.
        let len = (usize::from(first[0] & 0x7f) << 8) | usize::from(first[1]);
        let mut message = vec![0u8; len];
        stream.read_exact(&mut message).await?;
        return Ok(
            ClientHello::parse_sslv2(&message).map_or(FirstMessage::Garbage, FirstMessage::Hello)
        );
    }
    if first[1] != 3 {
        return Ok(FirstMessage::Garbage);
    }
    let mut rest = [0u8; 3];
    stream.read_exact(&mut rest).await?;
    let record_version = u16::from_be_bytes([first[1], rest[0]]);
    let length = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
    let mut fragment = vec![0u8; length];
    stream.read_exact(&mut fragment).await?;
    if first[0] != content::HANDSHAKE {
        return Ok(FirstMessage::Record(wire::Record {
            content_type: first[0],
            version: record_version,
            fragment,
        }));
    }
    // Gather handshake bytes until the first message is complete. Bounded by MAX_HELLO.
    let mut buffer = fragment;
    loop {
        let mut header = Reader::new(&buffer);
        if let (Some(msg_type), Some(len)) = (header.u8(), header.u24()) {
            if msg_type != handshake::CLIENT_HELLO || len > MAX_HELLO {
                return Ok(FirstMessage::Malformed);
            }
            if let Some(body) = header.bytes(len) {
                return Ok(ClientHello::parse_tls(body)
                    .map_or(FirstMessage::Malformed, FirstMessage::Hello));
            }
        }
        match wire::read_record(stream).await? {
            Some(record) if record.content_type == content::HANDSHAKE => {
                buffer.extend_from_slice(&record.fragment);
            }
            Some(_) => return Ok(FirstMessage::Malformed),
            None => return Ok(FirstMessage::Closed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslv2_compatible_hello_is_read_as_rfc5246_appendix_e2_says() {
        // CLIENT-HELLO, version 3.1, one TLS suite (00,00,2f) and one SSL 2.0 kind
        // (01,00,80), no session id, 16-byte challenge.
        let mut msg = vec![1, 3, 1, 0, 6, 0, 0, 0, 16, 0, 0, 0x2f, 1, 0, 0x80];
        msg.extend(1..=16u8);
        let hello = ClientHello::parse_sslv2(&msg).expect("valid");
        assert_eq!(hello.version, 0x0301);
        assert_eq!(hello.cipher_suites, vec![0x002f]);
        assert_eq!(hello.sslv2_cipher_kinds, vec![0x00002f, 0x010080]);
        assert_eq!(&hello.random[..16], &[0; 16]);
        assert_eq!(hello.random[16], 1);
    }

    #[test]
    fn tls_hello_without_extensions_parses() {
        let mut body = vec![3, 0];
        body.extend([0u8; 32]);
        body.extend([0, 0, 4, 0, 0x2f, 0, 0xff, 1, 0]);
        let hello = ClientHello::parse_tls(&body).expect("valid");
        assert_eq!(hello.version, 0x0300);
        assert_eq!(hello.cipher_suites, vec![0x2f, 0xff]);
        assert!(hello.extensions.is_empty());
    }
}
