//! Handshake message framing (RFC 8446 4 / RFC 5246 7.4) and reassembly across records:
//! one message may span several records, one record may carry several messages.
//!
//! The reassembler enforces two caps: a per-message maximum, and a total for everything it
//! is fed (a whole server flight). A header announcing more than either is refused at
//! once, before any of the body is buffered.

use super::{Encoder, Reader, WireError};

/// The default cap for one handshake message: 1 MiB. A Certificate message is the largest,
/// and real ones exceed what common clients take (rustls 64 KiB, OpenSSL 100 KB): a leaf
/// with thousands of names makes a 200+ KB chain, which the probe must still read to say so.
pub const DEFAULT_MESSAGE_CAP: usize = 1024 * 1024;
/// The default total cap for a server flight: the largest message plus 64 KiB for the rest
/// of the flight (ServerHello, ServerKeyExchange, status, ServerHelloDone).
pub const DEFAULT_FLIGHT_CAP: usize = DEFAULT_MESSAGE_CAP + 64 * 1024;
/// The size of a handshake message header.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// A handshake message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandshakeType {
    /// 0.
    HelloRequest,
    /// 1.
    ClientHello,
    /// 2 (also HelloRetryRequest in TLS 1.3, told apart by its random).
    ServerHello,
    /// 3 (DTLS).
    HelloVerifyRequest,
    /// 4.
    NewSessionTicket,
    /// 5.
    EndOfEarlyData,
    /// 8.
    EncryptedExtensions,
    /// 11.
    Certificate,
    /// 12.
    ServerKeyExchange,
    /// 13.
    CertificateRequest,
    /// 14.
    ServerHelloDone,
    /// 15.
    CertificateVerify,
    /// 16.
    ClientKeyExchange,
    /// 20.
    Finished,
    /// 21.
    CertificateUrl,
    /// 22.
    CertificateStatus,
    /// 23.
    SupplementalData,
    /// 24.
    KeyUpdate,
    /// 25 (RFC 8879).
    CompressedCertificate,
    /// 254.
    MessageHash,
    /// Anything else.
    Unknown(u8),
}

impl HandshakeType {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::HelloRequest => 0,
            Self::ClientHello => 1,
            Self::ServerHello => 2,
            Self::HelloVerifyRequest => 3,
            Self::NewSessionTicket => 4,
            Self::EndOfEarlyData => 5,
            Self::EncryptedExtensions => 8,
            Self::Certificate => 11,
            Self::ServerKeyExchange => 12,
            Self::CertificateRequest => 13,
            Self::ServerHelloDone => 14,
            Self::CertificateVerify => 15,
            Self::ClientKeyExchange => 16,
            Self::Finished => 20,
            Self::CertificateUrl => 21,
            Self::CertificateStatus => 22,
            Self::SupplementalData => 23,
            Self::KeyUpdate => 24,
            Self::CompressedCertificate => 25,
            Self::MessageHash => 254,
            Self::Unknown(v) => v,
        }
    }

    /// The type of a wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::HelloRequest,
            1 => Self::ClientHello,
            2 => Self::ServerHello,
            3 => Self::HelloVerifyRequest,
            4 => Self::NewSessionTicket,
            5 => Self::EndOfEarlyData,
            8 => Self::EncryptedExtensions,
            11 => Self::Certificate,
            12 => Self::ServerKeyExchange,
            13 => Self::CertificateRequest,
            14 => Self::ServerHelloDone,
            15 => Self::CertificateVerify,
            16 => Self::ClientKeyExchange,
            20 => Self::Finished,
            21 => Self::CertificateUrl,
            22 => Self::CertificateStatus,
            23 => Self::SupplementalData,
            24 => Self::KeyUpdate,
            25 => Self::CompressedCertificate,
            254 => Self::MessageHash,
            v => Self::Unknown(v),
        }
    }
}

/// One complete handshake message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// The message type.
    pub typ: HandshakeType,
    /// The body (without the 4-byte header).
    pub body: Vec<u8>,
}

impl HandshakeMessage {
    /// A message.
    pub const fn new(typ: HandshakeType, body: Vec<u8>) -> Self {
        Self { typ, body }
    }

    /// The message with its 4-byte header.
    pub fn encode(&self) -> Vec<u8> {
        encode_handshake(self.typ, &self.body)
    }

    /// Parses exactly one message filling `bytes`.
    pub fn read(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, "handshake message");
        let typ = HandshakeType::from_u8(r.read_u8()?);
        let body = r.vec_u24()?.to_vec();
        r.expect_empty()?;
        Ok(Self { typ, body })
    }
}

/// `typ` and a u24 length before `body`.
pub fn encode_handshake(typ: HandshakeType, body: &[u8]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.u8(typ.to_u8()).opaque_u24(body);
    e.finish()
}

/// Reassembles handshake messages from record payloads.
#[derive(Clone, Debug)]
pub struct HandshakeReassembler {
    buf: Vec<u8>,
    max_message: usize,
    flight_cap: usize,
    fed: usize,
}

impl Default for HandshakeReassembler {
    fn default() -> Self {
        Self::new(DEFAULT_MESSAGE_CAP, DEFAULT_FLIGHT_CAP)
    }
}

impl HandshakeReassembler {
    /// A reassembler refusing any message over `max_message` body bytes and any input
    /// past `flight_cap` bytes in total.
    pub const fn new(max_message: usize, flight_cap: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_message,
            flight_cap,
            fed: 0,
        }
    }

    /// Feeds the payload of one handshake record.
    pub fn push(&mut self, payload: &[u8]) -> Result<(), WireError> {
        self.fed = self.fed.saturating_add(payload.len());
        if self.fed > self.flight_cap {
            return Err(WireError::FlightTooLarge {
                max: self.flight_cap,
            });
        }
        self.buf.extend_from_slice(payload);
        self.check_header()
    }

    /// True when no partial message is pending (a record boundary may fall here).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes of a partial message held.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Bytes fed so far.
    pub const fn total_fed(&self) -> usize {
        self.fed
    }

    /// The next complete message, or `None` until more records arrive.
    pub fn next_message(&mut self) -> Result<Option<HandshakeMessage>, WireError> {
        self.check_header()?;
        let mut r = Reader::new(&self.buf, "handshake header");
        let (Ok(typ), Ok(len)) = (r.read_u8(), r.read_u24()) else {
            return Ok(None);
        };
        let len = len as usize;
        let total = HANDSHAKE_HEADER_LEN + len;
        let Some(body) = self.buf.get(HANDSHAKE_HEADER_LEN..total) else {
            return Ok(None);
        };
        let msg = HandshakeMessage::new(HandshakeType::from_u8(typ), body.to_vec());
        self.buf.drain(..total);
        Ok(Some(msg))
    }

    /// Refuses a message whose announced length exceeds a cap, as soon as its header is
    /// complete.
    fn check_header(&self) -> Result<(), WireError> {
        let mut r = Reader::new(&self.buf, "handshake header");
        let (Ok(_), Ok(len)) = (r.read_u8(), r.read_u24()) else {
            return Ok(());
        };
        let len = len as usize;
        if len > self.max_message {
            return Err(WireError::MessageTooLong {
                length: len,
                max: self.max_message,
            });
        }
        // What the flight would total once this message is complete.
        let missing = (HANDSHAKE_HEADER_LEN + len).saturating_sub(self.buf.len());
        if self.fed.saturating_add(missing) > self.flight_cap {
            return Err(WireError::MessageTooLong {
                length: len,
                max: self
                    .flight_cap
                    .saturating_sub(self.fed.saturating_sub(self.buf.len())),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembles_across_and_within_records() {
        let a = encode_handshake(HandshakeType::ServerHello, &[1; 70]);
        let b = encode_handshake(HandshakeType::ServerHelloDone, &[]);
        let mut stream = a.clone();
        stream.extend(&b);
        for split in [1, 3, 4, 5, 73, 74, 75, stream.len()] {
            let mut h = HandshakeReassembler::default();
            let mut got = Vec::new();
            for chunk in stream.chunks(split) {
                h.push(chunk).expect("within caps");
                while let Some(m) = h.next_message().expect("valid") {
                    got.push(m);
                }
            }
            assert_eq!(got.len(), 2, "split {split}");
            assert_eq!(got[0].encode(), a);
            assert_eq!(got[1].typ, HandshakeType::ServerHelloDone);
            assert!(h.is_empty());
        }
    }

    #[test]
    fn refuses_huge_announcement_early() {
        let mut h = HandshakeReassembler::default();
        // Announces 2^24 - 1 bytes: refused on the header alone.
        assert_eq!(
            h.push(&[11, 0xFF, 0xFF, 0xFF]),
            Err(WireError::MessageTooLong {
                length: 0xFF_FFFF,
                max: DEFAULT_MESSAGE_CAP
            })
        );
        let mut h = HandshakeReassembler::new(1000, 1500);
        h.push(&encode_handshake(HandshakeType::Certificate, &[0; 900]))
            .expect("fits");
        assert!(h.next_message().expect("ok").is_some());
        // 904 fed; a 700-byte message would take the flight over 1500.
        assert!(matches!(
            h.push(&[11, 0, 0x02, 0xBC]),
            Err(WireError::MessageTooLong { length: 700, .. })
        ));
        let mut h = HandshakeReassembler::new(1000, 10);
        assert_eq!(h.push(&[0; 11]), Err(WireError::FlightTooLarge { max: 10 }));
    }

    #[test]
    fn caps_are_inclusive() {
        let mut h = HandshakeReassembler::new(100, 104);
        h.push(&encode_handshake(HandshakeType::Certificate, &[0; 100]))
            .expect("exactly the caps");
        assert_eq!(
            h.next_message().map(|m| m.map(|m| m.body.len())),
            Ok(Some(100))
        );
        let mut h = HandshakeReassembler::new(100, 1000);
        assert!(matches!(
            h.push(&[11, 0, 0, 101]),
            Err(WireError::MessageTooLong {
                length: 101,
                max: 100
            })
        ));
        let mut h = HandshakeReassembler::new(1000, 103);
        assert!(
            h.push(&[11, 0, 0, 100]).is_err(),
            "104 bytes would exceed a 103 cap"
        );
    }

    #[test]
    fn parses_one_message() {
        assert!(HandshakeMessage::read(&[14, 0, 0, 0]).is_ok());
        assert!(HandshakeMessage::read(&[14, 0, 0, 1]).is_err());
        assert!(HandshakeMessage::read(&[14, 0, 0, 0, 0]).is_err());
        assert_eq!(HandshakeType::from_u8(99), HandshakeType::Unknown(99));
        assert_eq!(HandshakeType::Unknown(99).to_u8(), 99);
    }
}
