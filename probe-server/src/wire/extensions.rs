//! Hello extensions: the client side (what we offer, encoded byte by byte) and the
//! extension list framing shared by both sides.
//!
//! # Key shares without crypto
//! A scanner offers key shares to learn which groups a server accepts, and never finishes
//! the handshake. A share still has to be *valid*, or a strict server aborts with
//! `illegal_parameter` instead of telling us what it supports. [`KeyShareEntry::for_group`]
//! therefore sends the one public value every curve has and no private key is needed for:
//! - X25519: the base point, u = 9 (RFC 7748 5); X448: u = 5.
//! - secp256r1/384r1/521r1, brainpool, SM2: the uncompressed generator point G, which is on
//!   the curve and not the identity, so point validation (SP 800-56A 5.6.2.3) passes.
//! - ffdhe*: Y = g = 2, left-padded to the group's size (RFC 8446 4.2.8.1); RFC 7919
//!   requires 1 < Y < p - 1, which 2 meets.
//! - ML-KEM: an encapsulation key of all zero bytes (t = 0, rho = 0). Every coefficient is
//!   below q, so the FIPS 203 7.2 modulus check passes; the server encapsulates to it.
//! - Hybrids: the two shares concatenated in the draft's order (ML-KEM first for
//!   X25519MLKEM768, the ECDH share first for SecP256r1MLKEM768 / SecP384r1MLKEM1024 and for
//!   X25519Kyber768Draft00).
//!
//! Whoever sees such a handshake can compute its keys; we never send data over it.

use super::{Encoder, Reader, WireError};
use crate::iana::groups::ids;

/// Extension code points (IANA "TLS ExtensionType Values").
pub mod ext {
    /// server_name (RFC 6066).
    pub const SERVER_NAME: u16 = 0;
    /// max_fragment_length.
    pub const MAX_FRAGMENT_LENGTH: u16 = 1;
    /// status_request (OCSP stapling).
    pub const STATUS_REQUEST: u16 = 5;
    /// supported_groups (elliptic_curves).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats.
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms.
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// use_srtp.
    pub const USE_SRTP: u16 = 14;
    /// heartbeat (RFC 6520).
    pub const HEARTBEAT: u16 = 15;
    /// application_layer_protocol_negotiation.
    pub const ALPN: u16 = 16;
    /// status_request_v2.
    pub const STATUS_REQUEST_V2: u16 = 17;
    /// signed_certificate_timestamp.
    pub const SCT: u16 = 18;
    /// padding (RFC 7685).
    pub const PADDING: u16 = 21;
    /// encrypt_then_mac (RFC 7366).
    pub const ENCRYPT_THEN_MAC: u16 = 22;
    /// extended_master_secret (RFC 7627).
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// compress_certificate (RFC 8879).
    pub const COMPRESS_CERTIFICATE: u16 = 27;
    /// record_size_limit (RFC 8449).
    pub const RECORD_SIZE_LIMIT: u16 = 28;
    /// session_ticket (RFC 5077).
    pub const SESSION_TICKET: u16 = 35;
    /// pre_shared_key.
    pub const PRE_SHARED_KEY: u16 = 41;
    /// early_data.
    pub const EARLY_DATA: u16 = 42;
    /// supported_versions.
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// cookie.
    pub const COOKIE: u16 = 44;
    /// psk_key_exchange_modes.
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    /// certificate_authorities.
    pub const CERTIFICATE_AUTHORITIES: u16 = 47;
    /// post_handshake_auth.
    pub const POST_HANDSHAKE_AUTH: u16 = 49;
    /// signature_algorithms_cert.
    pub const SIGNATURE_ALGORITHMS_CERT: u16 = 50;
    /// key_share.
    pub const KEY_SHARE: u16 = 51;
    /// encrypted_client_hello.
    pub const ENCRYPTED_CLIENT_HELLO: u16 = 0xFE0D;
    /// renegotiation_info (RFC 5746).
    pub const RENEGOTIATION_INFO: u16 = 0xFF01;
}

/// The name of an extension code point, for reports.
pub const fn extension_name(typ: u16) -> &'static str {
    match typ {
        ext::SERVER_NAME => "server_name",
        ext::MAX_FRAGMENT_LENGTH => "max_fragment_length",
        ext::STATUS_REQUEST => "status_request",
        ext::SUPPORTED_GROUPS => "supported_groups",
        ext::EC_POINT_FORMATS => "ec_point_formats",
        ext::SIGNATURE_ALGORITHMS => "signature_algorithms",
        ext::USE_SRTP => "use_srtp",
        ext::HEARTBEAT => "heartbeat",
        ext::ALPN => "application_layer_protocol_negotiation",
        ext::STATUS_REQUEST_V2 => "status_request_v2",
        ext::SCT => "signed_certificate_timestamp",
        ext::PADDING => "padding",
        ext::ENCRYPT_THEN_MAC => "encrypt_then_mac",
        ext::EXTENDED_MASTER_SECRET => "extended_master_secret",
        ext::COMPRESS_CERTIFICATE => "compress_certificate",
        ext::RECORD_SIZE_LIMIT => "record_size_limit",
        ext::SESSION_TICKET => "session_ticket",
        ext::PRE_SHARED_KEY => "pre_shared_key",
        ext::EARLY_DATA => "early_data",
        ext::SUPPORTED_VERSIONS => "supported_versions",
        ext::COOKIE => "cookie",
        ext::PSK_KEY_EXCHANGE_MODES => "psk_key_exchange_modes",
        ext::CERTIFICATE_AUTHORITIES => "certificate_authorities",
        ext::POST_HANDSHAKE_AUTH => "post_handshake_auth",
        ext::SIGNATURE_ALGORITHMS_CERT => "signature_algorithms_cert",
        ext::KEY_SHARE => "key_share",
        ext::ENCRYPTED_CLIENT_HELLO => "encrypted_client_hello",
        ext::RENEGOTIATION_INFO => "renegotiation_info",
        _ => "unknown",
    }
}

/// RFC 6520 heartbeat modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeartbeatMode {
    /// 1: the peer may send us heartbeat requests.
    PeerAllowedToSend,
    /// 2: the peer must not.
    PeerNotAllowedToSend,
    /// Anything else (invalid).
    Other(u8),
}

impl HeartbeatMode {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::PeerAllowedToSend => 1,
            Self::PeerNotAllowedToSend => 2,
            Self::Other(v) => v,
        }
    }

    /// The mode of a wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::PeerAllowedToSend,
            2 => Self::PeerNotAllowedToSend,
            v => Self::Other(v),
        }
    }
}

/// One `KeyShareEntry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group.
    pub group: u16,
    /// The public value.
    pub key_exchange: Vec<u8>,
}

const P256_G: &[u8] = &[
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
    0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2,
    0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
    0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51,
    0xf5,
];

const P384_G: &[u8] = &[
    0x04, 0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e, 0xf3, 0x20, 0xad,
    0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98, 0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a,
    0x38, 0x55, 0x02, 0xf2, 0x5d, 0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a,
    0xb7, 0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98, 0xbf, 0x92, 0x92, 0xdc,
    0x29, 0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14, 0x7c, 0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8,
    0xc0, 0x0a, 0x60, 0xb1, 0xce, 0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e,
    0x5f,
];

const P521_G: &[u8] = &[
    0x04, 0x00, 0xc6, 0x85, 0x8e, 0x06, 0xb7, 0x04, 0x04, 0xe9, 0xcd, 0x9e, 0x3e, 0xcb, 0x66, 0x23,
    0x95, 0xb4, 0x42, 0x9c, 0x64, 0x81, 0x39, 0x05, 0x3f, 0xb5, 0x21, 0xf8, 0x28, 0xaf, 0x60, 0x6b,
    0x4d, 0x3d, 0xba, 0xa1, 0x4b, 0x5e, 0x77, 0xef, 0xe7, 0x59, 0x28, 0xfe, 0x1d, 0xc1, 0x27, 0xa2,
    0xff, 0xa8, 0xde, 0x33, 0x48, 0xb3, 0xc1, 0x85, 0x6a, 0x42, 0x9b, 0xf9, 0x7e, 0x7e, 0x31, 0xc2,
    0xe5, 0xbd, 0x66, 0x01, 0x18, 0x39, 0x29, 0x6a, 0x78, 0x9a, 0x3b, 0xc0, 0x04, 0x5c, 0x8a, 0x5f,
    0xb4, 0x2c, 0x7d, 0x1b, 0xd9, 0x98, 0xf5, 0x44, 0x49, 0x57, 0x9b, 0x44, 0x68, 0x17, 0xaf, 0xbd,
    0x17, 0x27, 0x3e, 0x66, 0x2c, 0x97, 0xee, 0x72, 0x99, 0x5e, 0xf4, 0x26, 0x40, 0xc5, 0x50, 0xb9,
    0x01, 0x3f, 0xad, 0x07, 0x61, 0x35, 0x3c, 0x70, 0x86, 0xa2, 0x72, 0xc2, 0x40, 0x88, 0xbe, 0x94,
    0x76, 0x9f, 0xd1, 0x66, 0x50,
];

const BP256_G: &[u8] = &[
    0x04, 0x8b, 0xd2, 0xae, 0xb9, 0xcb, 0x7e, 0x57, 0xcb, 0x2c, 0x4b, 0x48, 0x2f, 0xfc, 0x81, 0xb7,
    0xaf, 0xb9, 0xde, 0x27, 0xe1, 0xe3, 0xbd, 0x23, 0xc2, 0x3a, 0x44, 0x53, 0xbd, 0x9a, 0xce, 0x32,
    0x62, 0x54, 0x7e, 0xf8, 0x35, 0xc3, 0xda, 0xc4, 0xfd, 0x97, 0xf8, 0x46, 0x1a, 0x14, 0x61, 0x1d,
    0xc9, 0xc2, 0x77, 0x45, 0x13, 0x2d, 0xed, 0x8e, 0x54, 0x5c, 0x1d, 0x54, 0xc7, 0x2f, 0x04, 0x69,
    0x97,
];

const BP384_G: &[u8] = &[
    0x04, 0x1d, 0x1c, 0x64, 0xf0, 0x68, 0xcf, 0x45, 0xff, 0xa2, 0xa6, 0x3a, 0x81, 0xb7, 0xc1, 0x3f,
    0x6b, 0x88, 0x47, 0xa3, 0xe7, 0x7e, 0xf1, 0x4f, 0xe3, 0xdb, 0x7f, 0xca, 0xfe, 0x0c, 0xbd, 0x10,
    0xe8, 0xe8, 0x26, 0xe0, 0x34, 0x36, 0xd6, 0x46, 0xaa, 0xef, 0x87, 0xb2, 0xe2, 0x47, 0xd4, 0xaf,
    0x1e, 0x8a, 0xbe, 0x1d, 0x75, 0x20, 0xf9, 0xc2, 0xa4, 0x5c, 0xb1, 0xeb, 0x8e, 0x95, 0xcf, 0xd5,
    0x52, 0x62, 0xb7, 0x0b, 0x29, 0xfe, 0xec, 0x58, 0x64, 0xe1, 0x9c, 0x05, 0x4f, 0xf9, 0x91, 0x29,
    0x28, 0x0e, 0x46, 0x46, 0x21, 0x77, 0x91, 0x81, 0x11, 0x42, 0x82, 0x03, 0x41, 0x26, 0x3c, 0x53,
    0x15,
];

const BP512_G: &[u8] = &[
    0x04, 0x81, 0xae, 0xe4, 0xbd, 0xd8, 0x2e, 0xd9, 0x64, 0x5a, 0x21, 0x32, 0x2e, 0x9c, 0x4c, 0x6a,
    0x93, 0x85, 0xed, 0x9f, 0x70, 0xb5, 0xd9, 0x16, 0xc1, 0xb4, 0x3b, 0x62, 0xee, 0xf4, 0xd0, 0x09,
    0x8e, 0xff, 0x3b, 0x1f, 0x78, 0xe2, 0xd0, 0xd4, 0x8d, 0x50, 0xd1, 0x68, 0x7b, 0x93, 0xb9, 0x7d,
    0x5f, 0x7c, 0x6d, 0x50, 0x47, 0x40, 0x6a, 0x5e, 0x68, 0x8b, 0x35, 0x22, 0x09, 0xbc, 0xb9, 0xf8,
    0x22, 0x7d, 0xde, 0x38, 0x5d, 0x56, 0x63, 0x32, 0xec, 0xc0, 0xea, 0xbf, 0xa9, 0xcf, 0x78, 0x22,
    0xfd, 0xf2, 0x09, 0xf7, 0x00, 0x24, 0xa5, 0x7b, 0x1a, 0xa0, 0x00, 0xc5, 0x5b, 0x88, 0x1f, 0x81,
    0x11, 0xb2, 0xdc, 0xde, 0x49, 0x4a, 0x5f, 0x48, 0x5e, 0x5b, 0xca, 0x4b, 0xd8, 0x8a, 0x27, 0x63,
    0xae, 0xd1, 0xca, 0x2b, 0x2f, 0xa8, 0xf0, 0x54, 0x06, 0x78, 0xcd, 0x1e, 0x0f, 0x3a, 0xd8, 0x08,
    0x92,
];

const SM2_G: &[u8] = &[
    0x04, 0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19, 0x5f, 0x99, 0x04, 0x46, 0x6a, 0x39, 0xc9,
    0x94, 0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66, 0x0b, 0xe1, 0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74,
    0xc7, 0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c, 0x59, 0xbd, 0xce, 0xe3, 0x6b, 0x69, 0x21,
    0x53, 0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a, 0x47, 0x40, 0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0,
    0xa0,
];

fn montgomery_base(len: usize, u: u8) -> Vec<u8> {
    let mut v = vec![0u8; len];
    if let Some(first) = v.first_mut() {
        *first = u; // little-endian u-coordinate
    }
    v
}

fn ffdhe_generator(bytes: usize) -> Vec<u8> {
    let mut v = vec![0u8; bytes];
    if let Some(last) = v.last_mut() {
        *last = 2;
    }
    v
}

impl KeyShareEntry {
    /// An entry with an explicit value (anything, valid or not).
    pub const fn new(group: u16, key_exchange: Vec<u8>) -> Self {
        Self {
            group,
            key_exchange,
        }
    }

    /// A valid share for `group` that needs no private key (see the module docs), or
    /// `None` for a group we have no such value for (GOST curves, binary curves).
    pub fn for_group(group: u16) -> Option<Self> {
        let x25519 = || montgomery_base(32, 9);
        let mlkem = |len| vec![0u8; len];
        let key_exchange = match group {
            ids::X25519 => x25519(),
            ids::X448 => montgomery_base(56, 5),
            ids::SECP256R1 => P256_G.to_vec(),
            ids::SECP384R1 => P384_G.to_vec(),
            ids::SECP521R1 => P521_G.to_vec(),
            0x001F => BP256_G.to_vec(),
            0x0020 => BP384_G.to_vec(),
            0x0021 => BP512_G.to_vec(),
            0x0029 => SM2_G.to_vec(),
            ids::FFDHE2048 => ffdhe_generator(256),
            ids::FFDHE3072 => ffdhe_generator(384),
            ids::FFDHE4096 => ffdhe_generator(512),
            ids::FFDHE6144 => ffdhe_generator(768),
            ids::FFDHE8192 => ffdhe_generator(1024),
            ids::MLKEM512 => mlkem(800),
            ids::MLKEM768 => mlkem(1184),
            ids::MLKEM1024 => mlkem(1568),
            ids::X25519_MLKEM768 => [mlkem(1184), x25519()].concat(),
            ids::SECP256R1_MLKEM768 => [P256_G.to_vec(), mlkem(1184)].concat(),
            ids::SECP384R1_MLKEM1024 => [P384_G.to_vec(), mlkem(1568)].concat(),
            ids::X25519_KYBER768_DRAFT00 => [x25519(), mlkem(1184)].concat(),
            0x639A => [P256_G.to_vec(), mlkem(1184)].concat(),
            _ => return None,
        };
        Some(Self::new(group, key_exchange))
    }
}

/// A client hello extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// server_name with one host_name entry.
    ServerName(String),
    /// supported_groups.
    SupportedGroups(Vec<u16>),
    /// ec_point_formats (0 uncompressed, 1 ansiX962_compressed_prime, 2 ..._char2).
    EcPointFormats(Vec<u8>),
    /// signature_algorithms.
    SignatureAlgorithms(Vec<u16>),
    /// signature_algorithms_cert.
    SignatureAlgorithmsCert(Vec<u16>),
    /// supported_versions (client form: a u8-prefixed list).
    SupportedVersions(Vec<u16>),
    /// key_share (client form: a list of entries).
    KeyShare(Vec<KeyShareEntry>),
    /// psk_key_exchange_modes (0 psk_ke, 1 psk_dhe_ke).
    PskKeyExchangeModes(Vec<u8>),
    /// ALPN protocol names.
    Alpn(Vec<Vec<u8>>),
    /// renegotiation_info: empty on an initial handshake, or the client verify data.
    RenegotiationInfo(Vec<u8>),
    /// heartbeat with a mode.
    Heartbeat(HeartbeatMode),
    /// session_ticket: empty to ask for one, or a ticket to resume.
    SessionTicket(Vec<u8>),
    /// status_request for OCSP, no responder ids, no request extensions.
    StatusRequest,
    /// extended_master_secret (empty).
    ExtendedMasterSecret,
    /// encrypt_then_mac (empty).
    EncryptThenMac,
    /// signed_certificate_timestamp (empty).
    SignedCertificateTimestamp,
    /// padding with this many zero bytes.
    Padding(usize),
    /// Anything, byte for byte.
    Raw {
        /// The extension type.
        typ: u16,
        /// The extension data.
        data: Vec<u8>,
    },
}

impl ClientExtension {
    /// The extension type code point.
    pub const fn typ(&self) -> u16 {
        match self {
            Self::ServerName(_) => ext::SERVER_NAME,
            Self::SupportedGroups(_) => ext::SUPPORTED_GROUPS,
            Self::EcPointFormats(_) => ext::EC_POINT_FORMATS,
            Self::SignatureAlgorithms(_) => ext::SIGNATURE_ALGORITHMS,
            Self::SignatureAlgorithmsCert(_) => ext::SIGNATURE_ALGORITHMS_CERT,
            Self::SupportedVersions(_) => ext::SUPPORTED_VERSIONS,
            Self::KeyShare(_) => ext::KEY_SHARE,
            Self::PskKeyExchangeModes(_) => ext::PSK_KEY_EXCHANGE_MODES,
            Self::Alpn(_) => ext::ALPN,
            Self::RenegotiationInfo(_) => ext::RENEGOTIATION_INFO,
            Self::Heartbeat(_) => ext::HEARTBEAT,
            Self::SessionTicket(_) => ext::SESSION_TICKET,
            Self::StatusRequest => ext::STATUS_REQUEST,
            Self::ExtendedMasterSecret => ext::EXTENDED_MASTER_SECRET,
            Self::EncryptThenMac => ext::ENCRYPT_THEN_MAC,
            Self::SignedCertificateTimestamp => ext::SCT,
            Self::Padding(_) => ext::PADDING,
            Self::Raw { typ, .. } => *typ,
        }
    }

    /// Appends the extension (type, length, data).
    pub fn encode(&self, e: &mut Encoder) {
        e.u16(self.typ());
        e.vec_u16(|e| self.encode_data(e));
    }

    fn encode_data(&self, e: &mut Encoder) {
        match self {
            Self::ServerName(name) => {
                e.vec_u16(|e| {
                    e.u8(0).opaque_u16(name.as_bytes());
                });
            }
            Self::SupportedGroups(list)
            | Self::SignatureAlgorithms(list)
            | Self::SignatureAlgorithmsCert(list) => {
                e.vec_u16(|e| {
                    for v in list {
                        e.u16(*v);
                    }
                });
            }
            Self::EcPointFormats(list) | Self::PskKeyExchangeModes(list) => {
                e.opaque_u8(list);
            }
            Self::SupportedVersions(list) => {
                e.vec_u8(|e| {
                    for v in list {
                        e.u16(*v);
                    }
                });
            }
            Self::KeyShare(entries) => {
                e.vec_u16(|e| {
                    for entry in entries {
                        e.u16(entry.group).opaque_u16(&entry.key_exchange);
                    }
                });
            }
            Self::Alpn(protocols) => {
                e.vec_u16(|e| {
                    for p in protocols {
                        e.opaque_u8(p);
                    }
                });
            }
            Self::RenegotiationInfo(data) => {
                e.opaque_u8(data);
            }
            Self::Heartbeat(mode) => {
                e.u8(mode.to_u8());
            }
            Self::SessionTicket(data) | Self::Raw { data, .. } => {
                e.bytes(data);
            }
            Self::StatusRequest => {
                // status_type ocsp(1), empty responder_id_list, empty request_extensions.
                e.u8(1).u16(0).u16(0);
            }
            Self::ExtendedMasterSecret
            | Self::EncryptThenMac
            | Self::SignedCertificateTimestamp => {}
            Self::Padding(n) => {
                e.bytes(&vec![0u8; *n]);
            }
        }
    }
}

/// One extension as received: its type and raw data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawExtension {
    /// The extension type.
    pub typ: u16,
    /// The extension data.
    pub data: Vec<u8>,
}

/// Reads an extension block (`Extension extensions<0..2^16-1>`), the rest of `r`, when
/// present. An absent block (the message ends before it) is an empty list. A type listed
/// twice is an error (RFC 8446 4.2).
pub fn read_extensions(r: &mut Reader<'_>) -> Result<Vec<RawExtension>, WireError> {
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let mut block = r.sub_u16("extensions")?;
    let mut out: Vec<RawExtension> = Vec::new();
    while !block.is_empty() {
        let typ = block.read_u16()?;
        let data = block.vec_u16()?.to_vec();
        if out.iter().any(|e| e.typ == typ) {
            return Err(WireError::InvalidValue {
                field: "extensions",
                detail: format!("{} ({typ}) appears twice", extension_name(typ)),
            });
        }
        out.push(RawExtension { typ, data });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shares_have_the_registry_lengths() {
        for group in crate::iana::groups::GROUPS {
            if let Some(share) = KeyShareEntry::for_group(group.id) {
                assert_eq!(
                    Some(share.key_exchange.len() as u16),
                    group.client_share_len,
                    "{}",
                    group.name
                );
            }
        }
        let x = KeyShareEntry::for_group(ids::X25519).expect("x25519");
        assert_eq!(x.key_exchange[0], 9);
        assert!(x.key_exchange[1..].iter().all(|b| *b == 0));
        let ff = KeyShareEntry::for_group(ids::FFDHE2048).expect("ffdhe");
        assert_eq!((ff.key_exchange.len(), ff.key_exchange[255]), (256, 2));
        assert!(KeyShareEntry::for_group(0x0001).is_none());
    }

    #[test]
    fn encodes_extensions() {
        let mut e = Encoder::new();
        ClientExtension::ServerName("a.b".into()).encode(&mut e);
        assert_eq!(e.as_bytes(), [0, 0, 0, 8, 0, 6, 0, 0, 3, b'a', b'.', b'b']);
        let mut e = Encoder::new();
        ClientExtension::SupportedVersions(vec![0x0304, 0x0303]).encode(&mut e);
        assert_eq!(e.as_bytes(), [0, 43, 0, 5, 4, 3, 4, 3, 3]);
        let mut e = Encoder::new();
        ClientExtension::Heartbeat(HeartbeatMode::PeerAllowedToSend).encode(&mut e);
        assert_eq!(e.as_bytes(), [0, 15, 0, 1, 1]);
        let mut e = Encoder::new();
        ClientExtension::RenegotiationInfo(vec![]).encode(&mut e);
        assert_eq!(e.as_bytes(), [0xFF, 1, 0, 1, 0]);
        let mut e = Encoder::new();
        ClientExtension::StatusRequest.encode(&mut e);
        assert_eq!(e.as_bytes(), [0, 5, 0, 5, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn reads_extension_blocks() {
        let mut r = Reader::new(&[0, 9, 0, 23, 0, 0, 0xFF, 1, 0, 1, 0], "test");
        let exts = read_extensions(&mut r).expect("valid");
        assert_eq!(exts.len(), 2);
        assert_eq!(exts[1].data, [0]);
        let mut r = Reader::new(&[0, 8, 0, 23, 0, 0, 0, 23, 0, 0], "test");
        assert!(read_extensions(&mut r).is_err(), "duplicate");
        let mut r = Reader::new(&[0, 9, 0, 23, 0, 0, 1], "test");
        assert!(read_extensions(&mut r).is_err(), "truncated");
        let mut r = Reader::new(&[], "test");
        assert_eq!(read_extensions(&mut r), Ok(vec![]));
    }
}
