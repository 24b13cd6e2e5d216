//! The record layer: TLS record headers, an incremental deframer for bytes as they arrive
//! from a socket, and SSL 2.0 record headers (for SSLv2 replies).
//!
//! The deframer refuses a record longer than 2^14 + 2048 bytes (the TLSCiphertext maximum,
//! RFC 5246 6.2.3) as soon as its header arrives, so a peer announcing 64 KiB cannot make us
//! buffer it. Its first bytes are checked against what a TLS (or SSL 2.0) server can send;
//! anything else is [`WireError::NotTls`] with a guess of what it is instead.

use super::{Encoder, Reader, WireError};

/// The largest TLS record payload we accept: 2^14 + 2048 (TLSCiphertext).
pub const MAX_RECORD_PAYLOAD: usize = 16384 + 2048;
/// The largest plaintext fragment: 2^14.
pub const MAX_PLAINTEXT: usize = 16384;
/// The largest SSL 2.0 record (2-byte header form: 15-bit length).
pub const MAX_SSL2_RECORD: usize = 0x7FFF;
/// The size of a TLS record header.
pub const RECORD_HEADER_LEN: usize = 5;

/// A TLS record content type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// 20.
    ChangeCipherSpec,
    /// 21.
    Alert,
    /// 22.
    Handshake,
    /// 23.
    ApplicationData,
    /// 24 (RFC 6520).
    Heartbeat,
    /// 25 (RFC 9146 DTLS connection id; never valid in TLS, kept for reporting).
    Tls12Cid,
    /// 26 (RFC 9147 DTLS ACK; never valid in TLS, kept for reporting).
    Ack,
}

impl ContentType {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::ChangeCipherSpec => 20,
            Self::Alert => 21,
            Self::Handshake => 22,
            Self::ApplicationData => 23,
            Self::Heartbeat => 24,
            Self::Tls12Cid => 25,
            Self::Ack => 26,
        }
    }

    /// The content type of a wire byte.
    pub const fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            24 => Self::Heartbeat,
            25 => Self::Tls12Cid,
            26 => Self::Ack,
            _ => return None,
        })
    }

    /// The RFC name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ChangeCipherSpec => "change_cipher_spec",
            Self::Alert => "alert",
            Self::Handshake => "handshake",
            Self::ApplicationData => "application_data",
            Self::Heartbeat => "heartbeat",
            Self::Tls12Cid => "tls12_cid",
            Self::Ack => "ack",
        }
    }
}

/// A TLS record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordHeader {
    /// The content type.
    pub content_type: ContentType,
    /// The record-layer version (0x0300..0x0303; TLS 1.3 servers send 0x0303).
    pub version: u16,
    /// The payload length.
    pub length: u16,
}

impl RecordHeader {
    /// Parses the 5-byte header at the start of `bytes`. The length is checked against
    /// [`MAX_RECORD_PAYLOAD`]; the version byte must be 3 (SSL 3.0 to TLS 1.3) or, in a
    /// few broken servers' alerts, 0 / 2.
    pub fn read(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, "record header");
        let ct = r.read_u8()?;
        let version = r.read_u16()?;
        let length = r.read_u16()?;
        let content_type = ContentType::from_u8(ct).ok_or(WireError::UnknownContentType(ct))?;
        if usize::from(length) > MAX_RECORD_PAYLOAD {
            return Err(WireError::RecordTooLong {
                length: usize::from(length),
                max: MAX_RECORD_PAYLOAD,
            });
        }
        Ok(Self {
            content_type,
            version,
            length,
        })
    }

    /// Appends the 5-byte header.
    pub fn encode(&self, e: &mut Encoder) {
        e.u8(self.content_type.to_u8())
            .u16(self.version)
            .u16(self.length);
    }
}

/// One TLS record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The content type.
    pub content_type: ContentType,
    /// The record-layer version.
    pub version: u16,
    /// The payload (plaintext, or opaque ciphertext after ChangeCipherSpec).
    pub payload: Vec<u8>,
}

impl Record {
    /// A record.
    pub const fn new(content_type: ContentType, version: u16, payload: Vec<u8>) -> Self {
        Self {
            content_type,
            version,
            payload,
        }
    }

    /// The record's bytes (header and payload), whatever the payload's length. A payload
    /// over 2^16 - 1 bytes gets a saturated length (a malformed record, on purpose).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.u8(self.content_type.to_u8())
            .u16(self.version)
            .opaque_u16(&self.payload);
        e.finish()
    }
}

impl Record {
    /// A ChangeCipherSpec record (payload `01`), e.g. for an early-CCS (CVE-2014-0224) test.
    pub fn change_cipher_spec(version: u16) -> Self {
        Self::new(ContentType::ChangeCipherSpec, version, vec![1])
    }

    /// A plaintext alert record.
    pub fn alert(version: u16, level: u8, description: u8) -> Self {
        Self::new(ContentType::Alert, version, vec![level, description])
    }

    /// A heartbeat record (RFC 6520) of message `typ` (1 request, 2 response) that claims
    /// `claimed_length` payload bytes and carries `payload` then `padding` bytes of
    /// padding. A claimed length larger than the payload is what a Heartbleed probe sends.
    pub fn heartbeat(
        version: u16,
        typ: u8,
        claimed_length: u16,
        payload: &[u8],
        padding: usize,
    ) -> Self {
        let mut e = Encoder::new();
        e.u8(typ)
            .u16(claimed_length)
            .bytes(payload)
            .bytes(&vec![0u8; padding]);
        Self::new(ContentType::Heartbeat, version, e.finish())
    }
}

/// A heartbeat message as received (RFC 6520 4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatMessage {
    /// 1 request, 2 response.
    pub typ: u8,
    /// The payload length the message claims.
    pub claimed_length: u16,
    /// Everything after the length: payload and padding (more than the claimed length
    /// when the peer leaks memory, as a Heartbleed-vulnerable server does).
    pub data: Vec<u8>,
}

impl HeartbeatMessage {
    /// Parses a heartbeat record's payload.
    pub fn read(payload: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, "heartbeat");
        let typ = r.read_u8()?;
        let claimed_length = r.read_u16()?;
        Ok(Self {
            typ,
            claimed_length,
            data: r.rest().to_vec(),
        })
    }
}

/// Splits `payload` into records of at most `fragment` bytes (at least 1; use
/// [`MAX_PLAINTEXT`] normally) and returns their bytes, concatenated. An empty payload
/// gives one empty record.
pub fn encode_records(
    content_type: ContentType,
    version: u16,
    payload: &[u8],
    fragment: usize,
) -> Vec<u8> {
    let fragment = fragment.clamp(1, 0xFFFF);
    let mut out =
        Vec::with_capacity(payload.len() + RECORD_HEADER_LEN * (1 + payload.len() / fragment));
    let mut chunks = payload.chunks(fragment).peekable();
    if chunks.peek().is_none() {
        out.extend(Record::new(content_type, version, Vec::new()).encode());
    }
    for chunk in chunks {
        let mut e = Encoder::new();
        e.u8(content_type.to_u8()).u16(version).opaque_u16(chunk);
        out.extend(e.finish());
    }
    out
}

/// An SSL 2.0 record header (2-byte or 3-byte form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ssl2RecordHeader {
    /// The header's size: 2 or 3.
    pub header_len: usize,
    /// The record length (data plus padding).
    pub length: usize,
    /// The padding byte count (3-byte form only).
    pub padding: u8,
    /// The "is escape" bit of the 3-byte form.
    pub is_escape: bool,
}

impl Ssl2RecordHeader {
    /// Parses a header: a first byte with the top bit set is the 2-byte form (15-bit
    /// length), else the 3-byte form (14-bit length, escape bit, padding byte).
    pub fn read(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes, "SSL 2.0 record header");
        let b0 = r.read_u8()?;
        let b1 = r.read_u8()?;
        if b0 & 0x80 != 0 {
            Ok(Self {
                header_len: 2,
                length: usize::from(b0 & 0x7F) << 8 | usize::from(b1),
                padding: 0,
                is_escape: false,
            })
        } else {
            let padding = r.read_u8()?;
            let length = usize::from(b0 & 0x3F) << 8 | usize::from(b1);
            if usize::from(padding) > length {
                return Err(WireError::BadLength("SSL 2.0 record padding"));
            }
            Ok(Self {
                header_len: 3,
                length,
                padding,
                is_escape: b0 & 0x40 != 0,
            })
        }
    }
}

/// One SSL 2.0 record: its data, padding removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssl2Record {
    /// The record data (first byte is the message type).
    pub data: Vec<u8>,
}

/// Encodes `data` as an SSL 2.0 record with the 2-byte header (data up to 32767 bytes;
/// longer data gets a saturated length).
pub fn encode_ssl2_record(data: &[u8]) -> Vec<u8> {
    let len = data.len().min(MAX_SSL2_RECORD) as u16;
    let mut out = Vec::with_capacity(2 + data.len());
    out.extend_from_slice(&(len | 0x8000).to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// A frame read off the wire: a TLS record, or (only as the first frame of a
/// connection) an SSL 2.0 record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A TLS record.
    Tls(Record),
    /// An SSL 2.0 record.
    Ssl2(Ssl2Record),
}

/// Guesses what a non-TLS reply is from its first bytes.
pub fn guess_protocol(bytes: &[u8]) -> &'static str {
    let starts = |p: &[u8]| bytes.len() >= p.len() && bytes[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"HTTP/") {
        "an HTTP response"
    } else if starts(b"<") {
        "HTML"
    } else if starts(b"SSH-") {
        "an SSH banner"
    } else if starts(b"220") || starts(b"* OK") || starts(b"+OK") {
        "a plaintext mail/FTP greeting (STARTTLS service?)"
    } else if starts(b"\x15\x03") || starts(b"\x16\x03") {
        "TLS"
    } else if bytes
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "text"
    } else {
        "binary data"
    }
}

/// An incremental deframer: push bytes as they arrive, take records out.
///
/// It never buffers more than one record's worth plus whatever was pushed, and it refuses
/// a record over [`MAX_RECORD_PAYLOAD`] from its header alone.
#[derive(Clone, Debug)]
pub struct RecordReader {
    buf: Vec<u8>,
    frames: usize,
    allow_ssl2: bool,
}

impl Default for RecordReader {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordReader {
    /// A deframer for TLS records only.
    pub const fn new() -> Self {
        Self {
            buf: Vec::new(),
            frames: 0,
            allow_ssl2: false,
        }
    }

    /// A deframer that also accepts an SSL 2.0 record as the first frame (use after
    /// sending an SSL 2.0 CLIENT-HELLO: a server answers in SSL 2.0 or in TLS).
    pub const fn accepting_ssl2() -> Self {
        Self {
            buf: Vec::new(),
            frames: 0,
            allow_ssl2: true,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes received but not yet framed.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// How many frames were taken out so far.
    pub const fn frames_read(&self) -> usize {
        self.frames
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed, or an error when the
    /// bytes cannot be TLS. After an error the reader's state is unspecified; drop it.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, WireError> {
        let Some(&first) = self.buf.first() else {
            return Ok(None);
        };
        if self.frames == 0 && self.allow_ssl2 && first & 0x80 != 0 {
            return self.next_ssl2();
        }
        if ContentType::from_u8(first).is_none() {
            return Err(self.not_tls());
        }
        if self.buf.len() < RECORD_HEADER_LEN {
            // Check the version's major byte as soon as it is here: 0x03 for every version
            // a TLS server speaks (a few send 0x00 / 0x02 in alerts to SSL 2.0 hellos).
            if let Some(&major) = self.buf.get(1)
                && !matches!(major, 0 | 2 | 3)
            {
                return Err(self.not_tls());
            }
            return Ok(None);
        }
        let header = match RecordHeader::read(&self.buf) {
            Ok(h) => h,
            Err(e @ WireError::RecordTooLong { .. }) if self.frames > 0 => return Err(e),
            Err(e @ WireError::RecordTooLong { .. }) => {
                // A first "record" that long is more likely a text protocol.
                let guess = guess_protocol(&self.buf);
                if guess == "TLS" {
                    return Err(e);
                }
                return Err(self.not_tls());
            }
            Err(e) => return Err(e),
        };
        if !matches!(header.version >> 8, 0 | 2 | 3) {
            return Err(self.not_tls());
        }
        let total = RECORD_HEADER_LEN + usize::from(header.length);
        if self.buf.len() < total {
            return Ok(None);
        }
        let payload = self
            .buf
            .get(RECORD_HEADER_LEN..total)
            .unwrap_or_default()
            .to_vec();
        self.buf.drain(..total);
        self.frames += 1;
        Ok(Some(Frame::Tls(Record::new(
            header.content_type,
            header.version,
            payload,
        ))))
    }

    /// Like [`Self::next_frame`], but an SSL 2.0 frame is an error.
    pub fn next_record(&mut self) -> Result<Option<Record>, WireError> {
        match self.next_frame()? {
            None => Ok(None),
            Some(Frame::Tls(r)) => Ok(Some(r)),
            Some(Frame::Ssl2(_)) => Err(WireError::UnexpectedMessage {
                expected: "a TLS record",
                got: "an SSL 2.0 record".into(),
            }),
        }
    }

    fn next_ssl2(&mut self) -> Result<Option<Frame>, WireError> {
        let header = match Ssl2RecordHeader::read(&self.buf) {
            Ok(h) => h,
            Err(WireError::Truncated { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if header.length == 0 {
            return Err(WireError::BadLength("SSL 2.0 record"));
        }
        let total = header.header_len + header.length;
        if self.buf.len() < total {
            return Ok(None);
        }
        let data_end = total - usize::from(header.padding);
        let data = self
            .buf
            .get(header.header_len..data_end)
            .unwrap_or_default()
            .to_vec();
        self.buf.drain(..total);
        self.frames += 1;
        Ok(Some(Frame::Ssl2(Ssl2Record { data })))
    }

    fn not_tls(&self) -> WireError {
        WireError::NotTls {
            guess: guess_protocol(&self.buf),
            first_bytes: self.buf.iter().take(8).copied().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deframes_byte_by_byte() {
        let mut wire = Record::new(ContentType::Handshake, 0x0303, vec![1, 2, 3]).encode();
        wire.extend(Record::new(ContentType::Alert, 0x0303, vec![2, 40]).encode());
        let mut rr = RecordReader::new();
        let mut got = Vec::new();
        for b in &wire {
            rr.push(&[*b]);
            while let Some(r) = rr.next_record().expect("valid") {
                got.push(r);
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].payload, [1, 2, 3]);
        assert_eq!(got[1].content_type, ContentType::Alert);
        assert!(rr.buffered().is_empty());
    }

    #[test]
    fn refuses_oversized_record_from_header() {
        let mut rr = RecordReader::new();
        rr.push(&[22, 3, 3, 0x48, 0x01]); // 18433 = 2^14 + 2048 + 1
        assert_eq!(
            rr.next_record(),
            Err(WireError::RecordTooLong {
                length: MAX_RECORD_PAYLOAD + 1,
                max: MAX_RECORD_PAYLOAD
            })
        );
        let mut rr = RecordReader::new();
        rr.push(&[22, 3, 3, 0x48, 0x00]); // exactly the maximum: waits for the payload
        assert_eq!(rr.next_record(), Ok(None));
    }

    #[test]
    fn recognises_non_tls() {
        let mut rr = RecordReader::new();
        rr.push(b"HTTP/1.1 400 Bad Request\r\n");
        assert!(matches!(
            rr.next_record(),
            Err(WireError::NotTls {
                guess: "an HTTP response",
                ..
            })
        ));
        let mut rr = RecordReader::new();
        rr.push(b"SSH-2.0-OpenSSH_9.2\r\n");
        assert!(matches!(
            rr.next_record(),
            Err(WireError::NotTls {
                guess: "an SSH banner",
                ..
            })
        ));
        let mut rr = RecordReader::new();
        rr.push(&[22, 0x48]); // content type ok, version major 'H'
        assert!(matches!(rr.next_record(), Err(WireError::NotTls { .. })));
    }

    #[test]
    fn fragments_records() {
        let payload = vec![7u8; 40000];
        let wire = encode_records(ContentType::Handshake, 0x0301, &payload, MAX_PLAINTEXT);
        let mut rr = RecordReader::new();
        rr.push(&wire);
        let mut total = 0;
        let mut n = 0;
        while let Some(r) = rr.next_record().expect("valid") {
            assert!(r.payload.len() <= MAX_PLAINTEXT);
            total += r.payload.len();
            n += 1;
        }
        assert_eq!((n, total), (3, 40000));
        assert_eq!(encode_records(ContentType::Alert, 0x0303, &[], 10).len(), 5);
    }

    #[test]
    fn control_records() {
        assert_eq!(
            Record::change_cipher_spec(0x0303).encode(),
            [20, 3, 3, 0, 1, 1]
        );
        assert_eq!(
            Record::alert(0x0301, 2, 40).encode(),
            [21, 3, 1, 0, 2, 2, 40]
        );
        let hb = Record::heartbeat(0x0302, 1, 0x4000, &[0xAB], 16);
        assert_eq!(hb.encode()[..9], [24, 3, 2, 0, 20, 1, 0x40, 0, 0xAB]);
        let parsed = HeartbeatMessage::read(&hb.payload).expect("valid");
        assert_eq!(
            (parsed.typ, parsed.claimed_length, parsed.data.len()),
            (1, 0x4000, 17)
        );
        assert!(HeartbeatMessage::read(&[1, 0]).is_err());
    }

    #[test]
    fn ssl2_headers() {
        assert_eq!(
            Ssl2RecordHeader::read(&[0x80, 0x2E]),
            Ok(Ssl2RecordHeader {
                header_len: 2,
                length: 0x2E,
                padding: 0,
                is_escape: false
            })
        );
        let h = Ssl2RecordHeader::read(&[0x41, 0x00, 0x08]).expect("3-byte form");
        assert_eq!(
            (h.header_len, h.length, h.padding, h.is_escape),
            (3, 0x100, 8, true)
        );
        assert!(
            Ssl2RecordHeader::read(&[0x00, 0x04, 0x08]).is_err(),
            "padding > length"
        );
        assert!(Ssl2RecordHeader::read(&[0x80]).is_err());

        let mut rr = RecordReader::accepting_ssl2();
        let wire = encode_ssl2_record(&[4, 0, 1, 2]);
        rr.push(&wire[..3]);
        assert_eq!(rr.next_frame(), Ok(None));
        rr.push(&wire[3..]);
        assert_eq!(
            rr.next_frame(),
            Ok(Some(Frame::Ssl2(Ssl2Record {
                data: vec![4, 0, 1, 2]
            })))
        );
    }
}
