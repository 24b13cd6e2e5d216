//! Parsers for what servers send: each takes the body bytes of one message and returns a
//! typed value or a [`WireError`], never panics.

use super::extensions::{HeartbeatMode, RawExtension, ext, read_extensions};
use super::{Reader, WireError};
use crate::iana::cipher_suites::{self, SkeKind};

/// The random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// The last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2 (RFC 8446
/// 4.1.3): "DOWNGRD" then 0x01.
pub const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01];
/// The same when it negotiates TLS 1.1 or below: "DOWNGRD" then 0x00.
pub const DOWNGRADE_TLS11: [u8; 8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00];

/// A downgrade sentinel found in a ServerHello random.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DowngradeSentinel {
    /// The server supports TLS 1.3 but negotiated TLS 1.2.
    Tls12,
    /// The server supports TLS 1.2 or better but negotiated TLS 1.1 or below.
    Tls11OrBelow,
}

/// The key_share of a ServerHello or HelloRetryRequest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerKeyShare {
    /// HelloRetryRequest: the group the server wants a share for.
    Selected(u16),
    /// ServerHello: the server's share.
    Share {
        /// The group.
        group: u16,
        /// The server's public value.
        key_exchange: Vec<u8>,
    },
}

impl ServerKeyShare {
    /// The group either form names.
    pub const fn group(&self) -> u16 {
        match self {
            Self::Selected(g) | Self::Share { group: g, .. } => *g,
        }
    }
}

/// A ServerHello (or HelloRetryRequest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version` (the negotiated version up to TLS 1.2; 0x0303 for TLS 1.3).
    pub legacy_version: u16,
    /// The server random.
    pub random: [u8; 32],
    /// The session id.
    pub session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The chosen compression method (0 null, 1 DEFLATE).
    pub compression_method: u8,
    /// Every extension, raw, in order.
    pub extensions: Vec<RawExtension>,
    /// The random is [`HRR_RANDOM`]: this is a HelloRetryRequest.
    pub is_hello_retry_request: bool,
    /// supported_versions: the version selected (TLS 1.3).
    pub supported_version: Option<u16>,
    /// key_share.
    pub key_share: Option<ServerKeyShare>,
    /// The cookie of a HelloRetryRequest.
    pub cookie: Option<Vec<u8>>,
    /// The ALPN protocol the server selected.
    pub alpn: Option<Vec<u8>>,
    /// renegotiation_info data (empty on an initial handshake) when present.
    pub renegotiation_info: Option<Vec<u8>>,
    /// The heartbeat extension's mode when present.
    pub heartbeat: Option<HeartbeatMode>,
    /// ec_point_formats when present.
    pub ec_point_formats: Option<Vec<u8>>,
    /// The session_ticket extension is present (the server will send a ticket).
    pub session_ticket: bool,
    /// The status_request extension is present (the server will staple).
    pub status_request: bool,
    /// extended_master_secret is present.
    pub extended_master_secret: bool,
    /// encrypt_then_mac is present.
    pub encrypt_then_mac: bool,
    /// A downgrade sentinel in the random, if any.
    pub downgrade: Option<DowngradeSentinel>,
}

impl ServerHello {
    /// Parses a ServerHello body. A message that ends after the compression method (SSL 3.0
    /// style, no extension block) is valid.
    pub fn read(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "ServerHello");
        let legacy_version = r.read_u16()?;
        let random: [u8; 32] = r.array()?;
        let session_id = r.vec_u8()?.to_vec();
        if session_id.len() > 32 {
            return Err(WireError::BadLength("ServerHello session id"));
        }
        let cipher_suite = r.read_u16()?;
        let compression_method = r.read_u8()?;
        let extensions = read_extensions(&mut r)?;
        r.expect_empty()?;
        let is_hello_retry_request = random == HRR_RANDOM;
        let tail = random.get(24..).unwrap_or_default();
        let downgrade = if tail == DOWNGRADE_TLS12 {
            Some(DowngradeSentinel::Tls12)
        } else if tail == DOWNGRADE_TLS11 {
            Some(DowngradeSentinel::Tls11OrBelow)
        } else {
            None
        };
        let mut hello = Self {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions: Vec::new(),
            is_hello_retry_request,
            supported_version: None,
            key_share: None,
            cookie: None,
            alpn: None,
            renegotiation_info: None,
            heartbeat: None,
            ec_point_formats: None,
            session_ticket: false,
            status_request: false,
            extended_master_secret: false,
            encrypt_then_mac: false,
            downgrade,
        };
        for x in &extensions {
            hello.read_extension(x)?;
        }
        hello.extensions = extensions;
        Ok(hello)
    }

    fn read_extension(&mut self, x: &RawExtension) -> Result<(), WireError> {
        let mut r = Reader::new(&x.data, "ServerHello extension");
        match x.typ {
            ext::SUPPORTED_VERSIONS => self.supported_version = Some(r.read_u16()?),
            ext::KEY_SHARE if self.is_hello_retry_request => {
                self.key_share = Some(ServerKeyShare::Selected(r.read_u16()?));
            }
            ext::KEY_SHARE => {
                let group = r.read_u16()?;
                let key_exchange = r.vec_u16()?.to_vec();
                if key_exchange.is_empty() {
                    return Err(WireError::BadLength("key_share"));
                }
                self.key_share = Some(ServerKeyShare::Share {
                    group,
                    key_exchange,
                });
            }
            ext::COOKIE => self.cookie = Some(r.vec_u16()?.to_vec()),
            ext::ALPN => {
                let mut list = r.sub_u16("ALPN")?;
                let proto = list.vec_u8()?;
                list.expect_empty()?;
                if proto.is_empty() {
                    return Err(WireError::BadLength("ALPN protocol"));
                }
                self.alpn = Some(proto.to_vec());
            }
            ext::RENEGOTIATION_INFO => self.renegotiation_info = Some(r.vec_u8()?.to_vec()),
            ext::HEARTBEAT => self.heartbeat = Some(HeartbeatMode::from_u8(r.read_u8()?)),
            ext::EC_POINT_FORMATS => self.ec_point_formats = Some(r.vec_u8()?.to_vec()),
            ext::SESSION_TICKET => {
                self.session_ticket = true;
                r.rest();
            }
            ext::STATUS_REQUEST => {
                self.status_request = true;
                r.rest();
            }
            ext::EXTENDED_MASTER_SECRET => self.extended_master_secret = true,
            ext::ENCRYPT_THEN_MAC => self.encrypt_then_mac = true,
            _ => {
                r.rest();
            }
        }
        r.expect_empty()
    }

    /// The negotiated version's wire number: supported_versions when present, else
    /// legacy_version.
    pub fn version(&self) -> u16 {
        self.supported_version.unwrap_or(self.legacy_version)
    }

    /// The negotiated version, if it is one we name.
    pub fn protocol_version(&self) -> Option<shared::ProtocolVersion> {
        shared::ProtocolVersion::from_wire(self.version())
    }

    /// The extension of this type, raw.
    pub fn extension(&self, typ: u16) -> Option<&RawExtension> {
        self.extensions.iter().find(|e| e.typ == typ)
    }
}

/// A TLS ≤ 1.2 Certificate message: the chain as sent, leaf first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateChain {
    /// DER certificates, in the server's order.
    pub certificates: Vec<Vec<u8>>,
}

/// Bounds applied when parsing a Certificate message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertificateLimits {
    /// The most certificates accepted.
    pub max_certificates: usize,
    /// The largest single certificate accepted, in bytes.
    pub max_certificate_len: usize,
}

impl Default for CertificateLimits {
    /// 32 certificates, each at most as large as the largest message (1 MiB): a single leaf
    /// with thousands of subjectAltNames is over 64 KiB and is still a certificate to judge.
    fn default() -> Self {
        Self {
            max_certificates: 32,
            max_certificate_len: super::handshake::DEFAULT_MESSAGE_CAP,
        }
    }
}

impl CertificateChain {
    /// Parses a TLS ≤ 1.2 Certificate body (`ASN.1Cert certificate_list<0..2^24-1>`).
    pub fn read(body: &[u8], limits: CertificateLimits) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "Certificate");
        let mut list = r.sub_u24("certificate list")?;
        r.expect_empty()?;
        let mut certificates = Vec::new();
        while !list.is_empty() {
            if certificates.len() >= limits.max_certificates {
                return Err(WireError::TooMany {
                    what: "certificates",
                    max: limits.max_certificates,
                });
            }
            let cert = list.vec_u24()?;
            if cert.is_empty() {
                return Err(WireError::BadLength("certificate"));
            }
            if cert.len() > limits.max_certificate_len {
                return Err(WireError::MessageTooLong {
                    length: cert.len(),
                    max: limits.max_certificate_len,
                });
            }
            certificates.push(cert.to_vec());
        }
        Ok(Self { certificates })
    }

    /// The leaf certificate, when one was sent.
    pub fn leaf(&self) -> Option<&[u8]> {
        self.certificates.first().map(Vec::as_slice)
    }
}

/// The key-exchange parameters of a ServerKeyExchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyExchangeParams {
    /// `ServerDHParams`.
    Dh {
        /// The prime.
        p: Vec<u8>,
        /// The generator.
        g: Vec<u8>,
        /// The server's public value.
        ys: Vec<u8>,
    },
    /// `ServerECDHParams`.
    Ecdh {
        /// 3 named_curve, 1 explicit_prime, 2 explicit_char2.
        curve_type: u8,
        /// The group, for named curves.
        named_curve: Option<u16>,
        /// The explicit curve parameters, raw, for explicit curves.
        explicit_curve: Option<Vec<u8>>,
        /// The server's public point.
        point: Vec<u8>,
    },
    /// `ServerRSAParams` (export RSA).
    Rsa {
        /// The modulus.
        modulus: Vec<u8>,
        /// The public exponent.
        exponent: Vec<u8>,
    },
    /// SRP parameters.
    Srp {
        /// The prime N.
        n: Vec<u8>,
        /// The generator.
        g: Vec<u8>,
        /// The salt.
        s: Vec<u8>,
        /// The server's public value B.
        b: Vec<u8>,
    },
    /// No parameters beyond a PSK identity hint.
    None,
    /// A key exchange this engine does not decode; its bytes, raw.
    Raw(Vec<u8>),
}

/// A ServerKeyExchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The PSK identity hint (PSK key exchanges only).
    pub psk_identity_hint: Option<Vec<u8>>,
    /// The parameters.
    pub params: KeyExchangeParams,
    /// The signature algorithm (TLS 1.2 only; a `SignatureScheme` / (hash, sig) pair).
    pub signature_algorithm: Option<u16>,
    /// The signature, when the key exchange is signed.
    pub signature: Option<Vec<u8>>,
}

/// The number of significant bits of a big-endian unsigned integer.
pub fn bit_length(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        Some(i) => {
            let lead = be.get(i).copied().unwrap_or_default();
            (be.len() - i - 1) * 8 + (8 - lead.leading_zeros() as usize)
        }
        None => 0,
    }
}

impl ServerKeyExchange {
    /// Parses a ServerKeyExchange body. Its layout depends on the negotiated key exchange
    /// (`kind`), whether the suite is anonymous (no signature), and the version (TLS 1.2
    /// puts the signature algorithm before the signature).
    pub fn read(
        body: &[u8],
        kind: SkeKind,
        anonymous: bool,
        version: u16,
    ) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "ServerKeyExchange");
        let mut psk_identity_hint = None;
        let mut signed = !anonymous;
        let params = match kind {
            SkeKind::Dhe => read_dh(&mut r)?,
            SkeKind::Ecdhe => read_ecdh(&mut r)?,
            SkeKind::RsaExport => {
                let modulus = nonempty(r.vec_u16()?, "RSA modulus")?;
                let exponent = nonempty(r.vec_u16()?, "RSA exponent")?;
                KeyExchangeParams::Rsa { modulus, exponent }
            }
            SkeKind::DhePsk => {
                psk_identity_hint = Some(r.vec_u16()?.to_vec());
                signed = false;
                read_dh(&mut r)?
            }
            SkeKind::EcdhePsk => {
                psk_identity_hint = Some(r.vec_u16()?.to_vec());
                signed = false;
                read_ecdh(&mut r)?
            }
            SkeKind::PskHint => {
                psk_identity_hint = Some(r.vec_u16()?.to_vec());
                signed = false;
                KeyExchangeParams::None
            }
            SkeKind::Srp => {
                let n = nonempty(r.vec_u16()?, "SRP N")?;
                let g = nonempty(r.vec_u16()?, "SRP g")?;
                let s = r.vec_u8()?.to_vec();
                let b = nonempty(r.vec_u16()?, "SRP B")?;
                KeyExchangeParams::Srp { n, g, s, b }
            }
            SkeKind::Other => {
                return Ok(Self {
                    psk_identity_hint: None,
                    params: KeyExchangeParams::Raw(r.rest().to_vec()),
                    signature_algorithm: None,
                    signature: None,
                });
            }
        };
        let (signature_algorithm, signature) = if signed {
            let alg = if version >= 0x0303 {
                Some(r.read_u16()?)
            } else {
                None
            };
            (alg, Some(r.vec_u16()?.to_vec()))
        } else {
            (None, None)
        };
        r.expect_empty()?;
        Ok(Self {
            psk_identity_hint,
            params,
            signature_algorithm,
            signature,
        })
    }

    /// Parses a ServerKeyExchange for the negotiated `suite` (a code point of the IANA
    /// table) and version. An unknown suite, or one that sends no ServerKeyExchange, is an
    /// error.
    pub fn read_for_suite(body: &[u8], suite: u16, version: u16) -> Result<Self, WireError> {
        let info = cipher_suites::by_id(suite).ok_or_else(|| WireError::InvalidValue {
            field: "cipher suite",
            detail: format!("0x{suite:04x} is unknown, cannot parse its ServerKeyExchange"),
        })?;
        let kind = info.key_exchange.server_key_exchange().ok_or_else(|| {
            WireError::UnexpectedMessage {
                expected: "no ServerKeyExchange",
                got: format!("a ServerKeyExchange with {}", info.name),
            }
        })?;
        let anonymous = info.authentication == cipher_suites::Authentication::Anon;
        Self::read(body, kind, anonymous, version)
    }

    /// The DH prime's size in bits (DHE), the export RSA modulus's size (RSA), or the SRP
    /// prime's size.
    pub fn modulus_bits(&self) -> Option<usize> {
        match &self.params {
            KeyExchangeParams::Dh { p, .. } => Some(bit_length(p)),
            KeyExchangeParams::Rsa { modulus, .. } => Some(bit_length(modulus)),
            KeyExchangeParams::Srp { n, .. } => Some(bit_length(n)),
            _ => None,
        }
    }

    /// The named curve of an ECDHE key exchange.
    pub fn named_curve(&self) -> Option<u16> {
        match &self.params {
            KeyExchangeParams::Ecdh { named_curve, .. } => *named_curve,
            _ => None,
        }
    }
}

fn nonempty(v: &[u8], what: &'static str) -> Result<Vec<u8>, WireError> {
    if v.is_empty() {
        Err(WireError::BadLength(what))
    } else {
        Ok(v.to_vec())
    }
}

fn read_dh(r: &mut Reader<'_>) -> Result<KeyExchangeParams, WireError> {
    let p = nonempty(r.vec_u16()?, "DH p")?;
    let g = nonempty(r.vec_u16()?, "DH g")?;
    let ys = nonempty(r.vec_u16()?, "DH Ys")?;
    Ok(KeyExchangeParams::Dh { p, g, ys })
}

fn read_ecdh(r: &mut Reader<'_>) -> Result<KeyExchangeParams, WireError> {
    let curve_type = r.read_u8()?;
    let (named_curve, explicit_curve) = match curve_type {
        3 => (Some(r.read_u16()?), None),
        1 => {
            // explicit_prime: prime_p, curve (a, b), base point, order, cofactor.
            let mut start = r.clone();
            r.vec_u8()?;
            r.vec_u8()?;
            r.vec_u8()?;
            r.vec_u8()?;
            r.vec_u8()?;
            r.vec_u8()?;
            let used = r.position() - start.position();
            (None, Some(start.bytes(used)?.to_vec()))
        }
        2 => {
            // explicit_char2: m, basis (+ k / k1 k2 k3), curve, base, order, cofactor.
            let mut start = r.clone();
            r.read_u16()?;
            match r.read_u8()? {
                1 => {
                    r.vec_u8()?;
                }
                2 => {
                    r.vec_u8()?;
                    r.vec_u8()?;
                    r.vec_u8()?;
                }
                other => {
                    return Err(WireError::InvalidValue {
                        field: "ECBasisType",
                        detail: other.to_string(),
                    });
                }
            }
            for _ in 0..5 {
                r.vec_u8()?;
            }
            let used = r.position() - start.position();
            (None, Some(start.bytes(used)?.to_vec()))
        }
        other => {
            return Err(WireError::InvalidValue {
                field: "ECCurveType",
                detail: other.to_string(),
            });
        }
    };
    let point = nonempty(r.vec_u8()?, "EC point")?;
    Ok(KeyExchangeParams::Ecdh {
        curve_type,
        named_curve,
        explicit_curve,
        point,
    })
}

/// A CertificateStatus message (RFC 6066 8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateStatus {
    /// The status type (1 = ocsp).
    pub status_type: u8,
    /// The DER OCSPResponse.
    pub ocsp_response: Vec<u8>,
}

impl CertificateStatus {
    /// Parses a CertificateStatus body.
    pub fn read(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "CertificateStatus");
        let status_type = r.read_u8()?;
        if status_type != 1 {
            return Err(WireError::InvalidValue {
                field: "CertificateStatusType",
                detail: status_type.to_string(),
            });
        }
        let ocsp_response = nonempty(r.vec_u24()?, "OCSPResponse")?;
        r.expect_empty()?;
        Ok(Self {
            status_type,
            ocsp_response,
        })
    }
}

/// Checks a ServerHelloDone body (it must be empty).
pub fn read_server_hello_done(body: &[u8]) -> Result<(), WireError> {
    Reader::new(body, "ServerHelloDone").expect_empty()
}

/// An alert level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    /// 1.
    Warning,
    /// 2.
    Fatal,
    /// Anything else.
    Unknown(u8),
}

impl AlertLevel {
    /// The level of a wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Warning,
            2 => Self::Fatal,
            v => Self::Unknown(v),
        }
    }

    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Warning => 1,
            Self::Fatal => 2,
            Self::Unknown(v) => v,
        }
    }
}

/// Alert description codes (RFC 8446 6, RFC 5246 7.2 and later additions).
pub mod alert {
    /// close_notify.
    pub const CLOSE_NOTIFY: u8 = 0;
    /// unexpected_message.
    pub const UNEXPECTED_MESSAGE: u8 = 10;
    /// bad_record_mac.
    pub const BAD_RECORD_MAC: u8 = 20;
    /// record_overflow.
    pub const RECORD_OVERFLOW: u8 = 22;
    /// handshake_failure.
    pub const HANDSHAKE_FAILURE: u8 = 40;
    /// illegal_parameter.
    pub const ILLEGAL_PARAMETER: u8 = 47;
    /// decode_error.
    pub const DECODE_ERROR: u8 = 50;
    /// protocol_version.
    pub const PROTOCOL_VERSION: u8 = 70;
    /// insufficient_security.
    pub const INSUFFICIENT_SECURITY: u8 = 71;
    /// internal_error.
    pub const INTERNAL_ERROR: u8 = 80;
    /// inappropriate_fallback (RFC 7507).
    pub const INAPPROPRIATE_FALLBACK: u8 = 86;
    /// missing_extension.
    pub const MISSING_EXTENSION: u8 = 109;
    /// unrecognized_name.
    pub const UNRECOGNIZED_NAME: u8 = 112;
    /// no_application_protocol.
    pub const NO_APPLICATION_PROTOCOL: u8 = 120;
}

/// The name of an alert description.
pub const fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => "unknown",
    }
}

/// A plaintext alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Alert {
    /// The level.
    pub level: AlertLevel,
    /// The description code (see [`alert`] and [`alert_name`]).
    pub description: u8,
}

impl Alert {
    /// Parses an alert record's payload (exactly 2 bytes).
    pub fn read(payload: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(payload, "alert");
        let level = AlertLevel::from_u8(r.read_u8()?);
        let description = r.read_u8()?;
        r.expect_empty()?;
        Ok(Self { level, description })
    }

    /// The description's name ("handshake_failure").
    pub const fn name(&self) -> &'static str {
        alert_name(self.description)
    }

    /// True for a fatal alert (or any alert but a warning: unknown levels end it too).
    pub const fn is_fatal(&self) -> bool {
        !matches!(self.level, AlertLevel::Warning)
    }

    /// The two payload bytes.
    pub const fn encode(&self) -> [u8; 2] {
        [self.level.to_u8(), self.description]
    }
}

impl std::fmt::Display for Alert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            AlertLevel::Warning => "warning",
            AlertLevel::Fatal => "fatal",
            AlertLevel::Unknown(_) => "unknown-level",
        };
        write!(f, "{level} {} ({})", self.name(), self.description)
    }
}

/// An SSL 2.0 SERVER-HELLO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssl2ServerHello {
    /// The session-id-hit flag.
    pub session_id_hit: bool,
    /// The certificate type (1 = X.509).
    pub certificate_type: u8,
    /// The server's version (0x0002).
    pub version: u16,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
    /// The cipher specs the server supports among those offered, as 24-bit numbers.
    pub cipher_specs: Vec<u32>,
    /// The connection id.
    pub connection_id: Vec<u8>,
}

/// An SSL 2.0 message as a server sends it first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ssl2Message {
    /// SERVER-HELLO (type 4).
    ServerHello(Ssl2ServerHello),
    /// ERROR (type 0) with its code (1 no-cipher, 2 no-certificate, 4 bad-certificate, 6
    /// unsupported-certificate-type).
    Error(u16),
}

impl Ssl2Message {
    /// Parses the data of an SSL 2.0 record.
    pub fn read(data: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(data, "SSL 2.0 message");
        match r.read_u8()? {
            0 => {
                let code = r.read_u16()?;
                r.expect_empty()?;
                Ok(Self::Error(code))
            }
            4 => {
                let session_id_hit = r.read_u8()? != 0;
                let certificate_type = r.read_u8()?;
                let version = r.read_u16()?;
                let cert_len = usize::from(r.read_u16()?);
                let specs_len = usize::from(r.read_u16()?);
                let conn_len = usize::from(r.read_u16()?);
                if !specs_len.is_multiple_of(3) {
                    return Err(WireError::BadLength("SSL 2.0 cipher specs"));
                }
                let certificate = r.bytes(cert_len)?.to_vec();
                let mut specs = Reader::new(r.bytes(specs_len)?, "SSL 2.0 cipher specs");
                let mut cipher_specs = Vec::with_capacity(specs_len / 3);
                while !specs.is_empty() {
                    cipher_specs.push(specs.read_u24()?);
                }
                let connection_id = r.bytes(conn_len)?.to_vec();
                r.expect_empty()?;
                Ok(Self::ServerHello(Ssl2ServerHello {
                    session_id_hit,
                    certificate_type,
                    version,
                    certificate,
                    cipher_specs,
                    connection_id,
                }))
            }
            other => Err(WireError::UnexpectedMessage {
                expected: "SSL 2.0 SERVER-HELLO or ERROR",
                got: format!("SSL 2.0 message type {other}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testdata::hex;
    use crate::wire::{HandshakeMessage, HandshakeType, RecordReader};

    #[test]
    fn rfc8448_server_hello() {
        let wire = hex(include_str!("testdata/rfc8448_s3_server_hello_record.hex"));
        let mut rr = RecordReader::new();
        rr.push(&wire);
        let record = rr.next_record().expect("valid").expect("complete");
        let msg = HandshakeMessage::read(&record.payload).expect("one message");
        assert_eq!(msg.typ, HandshakeType::ServerHello);
        let sh = ServerHello::read(&msg.body).expect("valid ServerHello");
        assert!(!sh.is_hello_retry_request);
        assert_eq!(sh.legacy_version, 0x0303);
        assert_eq!(sh.version(), 0x0304);
        assert_eq!(sh.protocol_version(), Some(shared::ProtocolVersion::Tls13));
        assert_eq!(sh.cipher_suite, 0x1301);
        assert_eq!(sh.compression_method, 0);
        assert_eq!(sh.random[..4], [0xa6, 0xaf, 0x06, 0xa4]);
        match &sh.key_share {
            Some(ServerKeyShare::Share {
                group,
                key_exchange,
            }) => {
                assert_eq!(*group, 0x001D);
                assert_eq!(key_exchange.len(), 32);
                assert_eq!(key_exchange[0], 0xc9);
            }
            other => panic!("unexpected key share {other:?}"),
        }
        assert_eq!(sh.downgrade, None);
        assert_eq!(sh.extensions.len(), 2);
    }

    #[test]
    fn rfc8448_hello_retry_request() {
        let msg = HandshakeMessage::read(&hex(include_str!(
            "testdata/rfc8448_s5_hello_retry_request.hex"
        )))
        .expect("one message");
        let hrr = ServerHello::read(&msg.body).expect("valid HRR");
        assert!(hrr.is_hello_retry_request);
        assert_eq!(hrr.key_share, Some(ServerKeyShare::Selected(0x0017)));
        assert_eq!(hrr.cookie.as_ref().map(Vec::len), Some(0x72));
        assert_eq!(hrr.version(), 0x0304);
    }

    #[test]
    fn truncations_of_a_server_hello_are_errors() {
        let wire = hex(include_str!("testdata/rfc8448_s3_server_hello_record.hex"));
        let body = &wire[9..];
        for len in 0..body.len() {
            // Cutting right after the compression method leaves a valid SSL 3.0-style
            // hello without extensions; every other cut must be an error.
            let result = ServerHello::read(&body[..len]);
            assert_eq!(result.is_ok(), len == 38, "length {len}: {result:?}");
        }
        let mut extra = body.to_vec();
        extra.push(0);
        assert!(ServerHello::read(&extra).is_err());
    }

    #[test]
    fn downgrade_sentinels_and_tls12_extensions() {
        let mut body = vec![3, 3];
        let mut random = [7u8; 32];
        random[24..].copy_from_slice(&DOWNGRADE_TLS12);
        body.extend(random);
        body.extend([0, 0xC0, 0x2F, 0]);
        // ALPN h2, renegotiation_info empty, EMS, heartbeat mode 1, EtM, session ticket,
        // status_request, ec_point_formats.
        let exts: &[u8] = &[
            0, 16, 0, 5, 0, 3, 2, b'h', b'2', 0xFF, 1, 0, 1, 0, 0, 23, 0, 0, 0, 15, 0, 1, 1, 0, 22,
            0, 0, 0, 35, 0, 0, 0, 5, 0, 0, 0, 11, 0, 2, 1, 0,
        ];
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let sh = ServerHello::read(&body).expect("valid");
        assert_eq!(sh.downgrade, Some(DowngradeSentinel::Tls12));
        assert_eq!(sh.alpn.as_deref(), Some(&b"h2"[..]));
        assert_eq!(sh.renegotiation_info, Some(vec![]));
        assert!(sh.extended_master_secret && sh.encrypt_then_mac);
        assert!(sh.session_ticket && sh.status_request);
        assert_eq!(sh.heartbeat, Some(HeartbeatMode::PeerAllowedToSend));
        assert_eq!(sh.ec_point_formats, Some(vec![0]));
        assert_eq!(sh.protocol_version(), Some(shared::ProtocolVersion::Tls12));
    }

    #[test]
    fn certificate_chain_bounds() {
        let cert = vec![0x30; 10];
        let chain = |n: usize| {
            let mut list = Vec::new();
            for _ in 0..n {
                list.extend([0, 0, 10]);
                list.extend(&cert);
            }
            let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
            body.extend(list);
            body
        };
        let parsed = CertificateChain::read(&chain(3), CertificateLimits::default()).expect("ok");
        assert_eq!(parsed.certificates.len(), 3);
        assert_eq!(parsed.leaf(), Some(&cert[..]));
        assert_eq!(
            CertificateChain::read(&chain(100), CertificateLimits::default()),
            Err(WireError::TooMany {
                what: "certificates",
                max: 32
            })
        );
        let tight = CertificateLimits {
            max_certificates: 5,
            max_certificate_len: 9,
        };
        assert!(matches!(
            CertificateChain::read(&chain(1), tight),
            Err(WireError::MessageTooLong { length: 10, max: 9 })
        ));
        assert!(CertificateChain::read(&[0, 0, 3, 0, 0, 0], CertificateLimits::default()).is_err());
        let body = chain(2);
        for len in 0..body.len() {
            assert!(CertificateChain::read(&body[..len], CertificateLimits::default()).is_err());
        }
    }

    #[test]
    fn server_key_exchange_forms() {
        // DHE, TLS 1.2: p (2 bytes, 0x00 0xFF -> 8 bits), g, Ys, sig alg, signature.
        let dhe = [0, 2, 0, 0xFF, 0, 1, 2, 0, 1, 5, 4, 1, 0, 2, 9, 9];
        let ske = ServerKeyExchange::read(&dhe, SkeKind::Dhe, false, 0x0303).expect("ok");
        assert_eq!(ske.modulus_bits(), Some(8));
        assert_eq!(ske.signature_algorithm, Some(0x0401));
        // The same in TLS 1.0 has no algorithm: those two bytes become the signature length.
        assert!(ServerKeyExchange::read(&dhe, SkeKind::Dhe, false, 0x0301).is_err());
        let ecdhe = [3, 0, 0x1D, 1, 9, 0, 0];
        let ske = ServerKeyExchange::read(&ecdhe, SkeKind::Ecdhe, false, 0x0302).expect("ok");
        assert_eq!(ske.named_curve(), Some(0x001D));
        assert_eq!(ske.signature.as_deref(), Some(&[][..]));
        let anon = [3, 0, 0x17, 1, 4];
        let ske = ServerKeyExchange::read(&anon, SkeKind::Ecdhe, true, 0x0303).expect("ok");
        assert_eq!(ske.signature, None);
        let rsa = [0, 2, 0x01, 0x00, 0, 1, 3, 0, 0];
        let ske = ServerKeyExchange::read(&rsa, SkeKind::RsaExport, false, 0x0300).expect("ok");
        assert_eq!(ske.modulus_bits(), Some(9));
        let ske = ServerKeyExchange::read_for_suite(&dhe, 0x009E, 0x0303).expect("DHE-RSA");
        assert!(matches!(ske.params, KeyExchangeParams::Dh { .. }));
        assert!(
            ServerKeyExchange::read_for_suite(&dhe, 0x002F, 0x0303).is_err(),
            "RSA kx"
        );
        // CECPQ1_RSA_WITH_CHACHA20_POLY1305_SHA256 sends one too (kept as raw bytes).
        let ske = ServerKeyExchange::read_for_suite(&dhe, 0x16B7, 0x0303).expect("CECPQ1");
        assert!(matches!(ske.params, KeyExchangeParams::Raw(_)));
        for len in 0..dhe.len() {
            assert!(ServerKeyExchange::read(&dhe[..len], SkeKind::Dhe, false, 0x0303).is_err());
        }
        assert_eq!(bit_length(&[0, 0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[]), 0);
    }

    #[test]
    fn alerts_status_and_done() {
        let a = Alert::read(&[2, 40]).expect("ok");
        assert!(a.is_fatal());
        assert_eq!(a.name(), "handshake_failure");
        assert_eq!(a.to_string(), "fatal handshake_failure (40)");
        assert!(Alert::read(&[2]).is_err());
        assert!(Alert::read(&[2, 40, 0]).is_err());
        assert!(!Alert::read(&[1, 112]).expect("ok").is_fatal());
        let cs = CertificateStatus::read(&[1, 0, 0, 2, 0x30, 0]).expect("ok");
        assert_eq!(cs.ocsp_response, [0x30, 0]);
        assert!(CertificateStatus::read(&[2, 0, 0, 1, 0]).is_err());
        assert!(CertificateStatus::read(&[1, 0, 0, 0]).is_err());
        assert!(read_server_hello_done(&[]).is_ok());
        assert!(read_server_hello_done(&[0]).is_err());
    }

    #[test]
    fn ssl2_server_hello() {
        let mut data = vec![4, 0, 1, 0, 2, 0, 3, 0, 6, 0, 16];
        data.extend([0x30, 1, 2]);
        data.extend([7, 0, 0xC0, 1, 0, 0x80]);
        data.extend([0xAA; 16]);
        match Ssl2Message::read(&data).expect("valid") {
            Ssl2Message::ServerHello(h) => {
                assert_eq!(h.version, 2);
                assert_eq!(h.certificate, [0x30, 1, 2]);
                assert_eq!(h.cipher_specs, [0x0700C0, 0x010080]);
                assert_eq!(h.connection_id.len(), 16);
            }
            other => panic!("{other:?}"),
        }
        for len in 0..data.len() {
            assert!(Ssl2Message::read(&data[..len]).is_err());
        }
        assert_eq!(Ssl2Message::read(&[0, 0, 1]), Ok(Ssl2Message::Error(1)));
        assert!(Ssl2Message::read(&[5]).is_err());
    }
}
