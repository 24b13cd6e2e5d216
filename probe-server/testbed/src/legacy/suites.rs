//! The cipher suites the responders can negotiate: IANA code, OpenSSL name, key exchange, and
//! the versions they exist in (RFC 2246 App. A.5 and C, RFC 4346 A.5 (export suites MUST NOT
//! be negotiated in TLS 1.1), RFC 5246 A.5 (IDEA/DES removed in 1.2, SHA-256/GCM suites
//! 1.2-only), RFC 4492/8422 (ECC), RFC 5288 (GCM), RFC 7905 (ChaCha20)).

use crate::version::ProtocolVersion::{self, Ssl3, Tls10, Tls11, Tls12};

/// How a suite exchanges keys, which decides the certificate and the ServerKeyExchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// RSA key transport: no ServerKeyExchange.
    Rsa,
    /// RSA_EXPORT: a 512-bit temporary RSA key in the ServerKeyExchange (RFC 2246 §7.4.3).
    RsaExport,
    /// Ephemeral DH signed with RSA.
    DheRsa,
    /// Ephemeral DH of at most 512 bits, signed with RSA.
    DheRsaExport,
    /// Anonymous DH: no certificate, unsigned parameters.
    DhAnon,
    /// Anonymous DH of at most 512 bits.
    DhAnonExport,
    /// Ephemeral ECDH signed with RSA.
    EcdheRsa,
    /// Ephemeral ECDH signed with ECDSA.
    EcdheEcdsa,
}

impl KeyExchange {
    /// Whether the server sends a Certificate (and which key it must hold).
    pub(crate) fn needs_rsa_cert(self) -> bool {
        matches!(
            self,
            Self::Rsa | Self::RsaExport | Self::DheRsa | Self::DheRsaExport | Self::EcdheRsa
        )
    }

    pub(crate) fn is_anonymous(self) -> bool {
        matches!(self, Self::DhAnon | Self::DhAnonExport)
    }
}

/// A cipher suite the responders know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteInfo {
    /// The IANA code point.
    pub id: u16,
    /// OpenSSL's name for it.
    pub name: &'static str,
    /// Its key exchange.
    pub kx: KeyExchange,
    /// The oldest version it may be negotiated in.
    pub min: ProtocolVersion,
    /// The newest version it may be negotiated in.
    pub max: ProtocolVersion,
}

use KeyExchange::*;

const fn s(
    id: u16,
    name: &'static str,
    kx: KeyExchange,
    min: ProtocolVersion,
    max: ProtocolVersion,
) -> SuiteInfo {
    SuiteInfo {
        id,
        name,
        kx,
        min,
        max,
    }
}

/// Every suite the responders can negotiate.
pub const SUITES: &[SuiteInfo] = &[
    s(0x0001, "NULL-MD5", Rsa, Ssl3, Tls12),
    s(0x0002, "NULL-SHA", Rsa, Ssl3, Tls12),
    s(0x0003, "EXP-RC4-MD5", RsaExport, Ssl3, Tls10),
    s(0x0004, "RC4-MD5", Rsa, Ssl3, Tls12),
    s(0x0005, "RC4-SHA", Rsa, Ssl3, Tls12),
    s(0x0006, "EXP-RC2-CBC-MD5", RsaExport, Ssl3, Tls10),
    s(0x0007, "IDEA-CBC-SHA", Rsa, Ssl3, Tls11),
    s(0x0008, "EXP-DES-CBC-SHA", RsaExport, Ssl3, Tls10),
    s(0x0009, "DES-CBC-SHA", Rsa, Ssl3, Tls11),
    s(0x000a, "DES-CBC3-SHA", Rsa, Ssl3, Tls12),
    s(0x0014, "EXP-EDH-RSA-DES-CBC-SHA", DheRsaExport, Ssl3, Tls10),
    s(0x0015, "EDH-RSA-DES-CBC-SHA", DheRsa, Ssl3, Tls11),
    s(0x0016, "EDH-RSA-DES-CBC3-SHA", DheRsa, Ssl3, Tls12),
    s(0x0017, "EXP-ADH-RC4-MD5", DhAnonExport, Ssl3, Tls10),
    s(0x0018, "ADH-RC4-MD5", DhAnon, Ssl3, Tls12),
    s(0x0019, "EXP-ADH-DES-CBC-SHA", DhAnonExport, Ssl3, Tls10),
    s(0x001a, "ADH-DES-CBC-SHA", DhAnon, Ssl3, Tls11),
    s(0x001b, "ADH-DES-CBC3-SHA", DhAnon, Ssl3, Tls12),
    s(0x002f, "AES128-SHA", Rsa, Ssl3, Tls12),
    s(0x0033, "DHE-RSA-AES128-SHA", DheRsa, Ssl3, Tls12),
    s(0x0034, "ADH-AES128-SHA", DhAnon, Ssl3, Tls12),
    s(0x0035, "AES256-SHA", Rsa, Ssl3, Tls12),
    s(0x0039, "DHE-RSA-AES256-SHA", DheRsa, Ssl3, Tls12),
    s(0x003a, "ADH-AES256-SHA", DhAnon, Ssl3, Tls12),
    s(0x003c, "AES128-SHA256", Rsa, Tls12, Tls12),
    s(0x003d, "AES256-SHA256", Rsa, Tls12, Tls12),
    s(0x0041, "CAMELLIA128-SHA", Rsa, Ssl3, Tls12),
    s(0x0045, "DHE-RSA-CAMELLIA128-SHA", DheRsa, Ssl3, Tls12),
    s(0x0067, "DHE-RSA-AES128-SHA256", DheRsa, Tls12, Tls12),
    s(0x006b, "DHE-RSA-AES256-SHA256", DheRsa, Tls12, Tls12),
    s(0x0084, "CAMELLIA256-SHA", Rsa, Ssl3, Tls12),
    s(0x0088, "DHE-RSA-CAMELLIA256-SHA", DheRsa, Ssl3, Tls12),
    s(0x0096, "SEED-SHA", Rsa, Ssl3, Tls12),
    s(0x009c, "AES128-GCM-SHA256", Rsa, Tls12, Tls12),
    s(0x009d, "AES256-GCM-SHA384", Rsa, Tls12, Tls12),
    s(0x009e, "DHE-RSA-AES128-GCM-SHA256", DheRsa, Tls12, Tls12),
    s(0x009f, "DHE-RSA-AES256-GCM-SHA384", DheRsa, Tls12, Tls12),
    s(0xc007, "ECDHE-ECDSA-RC4-SHA", EcdheEcdsa, Tls10, Tls12),
    s(0xc008, "ECDHE-ECDSA-DES-CBC3-SHA", EcdheEcdsa, Tls10, Tls12),
    s(0xc009, "ECDHE-ECDSA-AES128-SHA", EcdheEcdsa, Tls10, Tls12),
    s(0xc00a, "ECDHE-ECDSA-AES256-SHA", EcdheEcdsa, Tls10, Tls12),
    s(0xc011, "ECDHE-RSA-RC4-SHA", EcdheRsa, Tls10, Tls12),
    s(0xc012, "ECDHE-RSA-DES-CBC3-SHA", EcdheRsa, Tls10, Tls12),
    s(0xc013, "ECDHE-RSA-AES128-SHA", EcdheRsa, Tls10, Tls12),
    s(0xc014, "ECDHE-RSA-AES256-SHA", EcdheRsa, Tls10, Tls12),
    s(
        0xc023,
        "ECDHE-ECDSA-AES128-SHA256",
        EcdheEcdsa,
        Tls12,
        Tls12,
    ),
    s(
        0xc024,
        "ECDHE-ECDSA-AES256-SHA384",
        EcdheEcdsa,
        Tls12,
        Tls12,
    ),
    s(0xc027, "ECDHE-RSA-AES128-SHA256", EcdheRsa, Tls12, Tls12),
    s(0xc028, "ECDHE-RSA-AES256-SHA384", EcdheRsa, Tls12, Tls12),
    s(
        0xc02b,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        EcdheEcdsa,
        Tls12,
        Tls12,
    ),
    s(
        0xc02c,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        EcdheEcdsa,
        Tls12,
        Tls12,
    ),
    s(
        0xc02f,
        "ECDHE-RSA-AES128-GCM-SHA256",
        EcdheRsa,
        Tls12,
        Tls12,
    ),
    s(
        0xc030,
        "ECDHE-RSA-AES256-GCM-SHA384",
        EcdheRsa,
        Tls12,
        Tls12,
    ),
    s(
        0xcca8,
        "ECDHE-RSA-CHACHA20-POLY1305",
        EcdheRsa,
        Tls12,
        Tls12,
    ),
    s(
        0xcca9,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        EcdheEcdsa,
        Tls12,
        Tls12,
    ),
    s(0xccaa, "DHE-RSA-CHACHA20-POLY1305", DheRsa, Tls12, Tls12),
];

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;
/// TLS_FALLBACK_SCSV (RFC 7507 §2).
pub const FALLBACK_SCSV: u16 = 0x5600;

/// The suite with this code, if the responders know it.
pub fn suite(id: u16) -> Option<&'static SuiteInfo> {
    SUITES.iter().find(|s| s.id == id)
}

/// The suite with this OpenSSL name, if the responders know it.
pub fn suite_by_name(name: &str) -> Option<&'static SuiteInfo> {
    SUITES.iter().find(|s| s.name == name)
}
