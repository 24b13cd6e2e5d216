//! The few suites this client completes: ECDHE (X25519, P-256, P-384, P-521) and RSA key transport, with
//! AES-GCM. Enough to finish a handshake with any server that speaks TLS 1.2 at all today.

use aws_lc_rs::aead;

/// How the pre-master secret is agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// ECDHE, signed by the certificate's key.
    Ecdhe,
    /// RSA key transport: the pre-master secret encrypted to the certificate's key.
    Rsa,
}

/// One suite the client completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    /// IANA code point.
    pub id: u16,
    /// The key exchange.
    pub kx: KeyExchange,
    /// AES-256-GCM (else AES-128-GCM).
    pub aes256: bool,
    /// SHA-384 for the PRF and the transcript (else SHA-256).
    pub sha384: bool,
}

impl Suite {
    /// The record AEAD.
    pub fn aead(&self) -> &'static aead::Algorithm {
        if self.aes256 {
            &aead::AES_256_GCM
        } else {
            &aead::AES_128_GCM
        }
    }
}

const fn suite(id: u16, kx: KeyExchange, aes256: bool) -> Suite {
    Suite {
        id,
        kx,
        aes256,
        sha384: aes256,
    }
}

/// Every suite this client completes, in the order it prefers them.
pub const SUITES: &[Suite] = &[
    suite(0xC02B, KeyExchange::Ecdhe, false), // ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    suite(0xC02F, KeyExchange::Ecdhe, false), // ECDHE_RSA_WITH_AES_128_GCM_SHA256
    suite(0xC02C, KeyExchange::Ecdhe, true),  // ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    suite(0xC030, KeyExchange::Ecdhe, true),  // ECDHE_RSA_WITH_AES_256_GCM_SHA384
    suite(0x009C, KeyExchange::Rsa, false),   // RSA_WITH_AES_128_GCM_SHA256
    suite(0x009D, KeyExchange::Rsa, true),    // RSA_WITH_AES_256_GCM_SHA384
];

/// The suite of this code point, when the client completes it.
pub fn by_id(id: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.id == id)
}

/// Every code point, in order: what a hello offers.
pub fn ids() -> Vec<u16> {
    SUITES.iter().map(|s| s.id).collect()
}

/// The groups the client agrees on: X25519, P-256, P-384 and P-521. P-384 and P-521 are
/// there for servers that allow nothing smaller (a Go server with `CurvePreferences: P384`,
/// CNSA-style configurations, wolfSSL set up with one curve): offering only X25519 and P-256, every completed-handshake
/// probe failed against them with handshake_failure.
pub const GROUPS: &[u16] = &[0x001D, 0x0017, 0x0018, 0x0019];

/// The signature schemes whose ServerKeyExchange signatures the client checks.
pub const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, // ecdsa_secp256r1_sha256
    0x0503, // ecdsa_secp384r1_sha384
    0x0603, // ecdsa_secp521r1_sha512
    0x0807, // ed25519
    0x0804, // rsa_pss_rsae_sha256
    0x0805, // rsa_pss_rsae_sha384
    0x0806, // rsa_pss_rsae_sha512
    0x0401, // rsa_pkcs1_sha256
    0x0501, // rsa_pkcs1_sha384
    0x0601, // rsa_pkcs1_sha512
    0x0201, // rsa_pkcs1_sha1 (old servers)
    0x0203, // ecdsa_sha1 (old servers)
];
