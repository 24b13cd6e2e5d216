//! Signature algorithms: the TLS 1.3 `SignatureScheme` registry (RFC 8446 4.2.3 and later
//! additions) and the TLS 1.2 (hash, signature) pairs of RFC 5246 7.4.1.4.1, which share the
//! same two-byte space (a 1.2 pair is `hash << 8 | signature`).

use std::borrow::Cow;

/// One named signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignatureSchemeInfo {
    /// The code point.
    pub id: u16,
    /// The TLS 1.3 name ("rsa_pss_rsae_sha256").
    pub name: &'static str,
    /// Deprecated or legacy (SHA-1, PKCS#1 v1.5 in TLS 1.3 handshake signatures).
    pub legacy: bool,
}

const fn ss(id: u16, name: &'static str, legacy: bool) -> SignatureSchemeInfo {
    SignatureSchemeInfo { id, name, legacy }
}

/// The named schemes, sorted by code point.
pub static SIGNATURE_SCHEMES: &[SignatureSchemeInfo] = &[
    ss(0x0201, "rsa_pkcs1_sha1", true),
    ss(0x0203, "ecdsa_sha1", true),
    ss(0x0401, "rsa_pkcs1_sha256", false),
    ss(0x0403, "ecdsa_secp256r1_sha256", false),
    ss(0x0420, "rsa_pkcs1_sha256_legacy", true),
    ss(0x0501, "rsa_pkcs1_sha384", false),
    ss(0x0503, "ecdsa_secp384r1_sha384", false),
    ss(0x0520, "rsa_pkcs1_sha384_legacy", true),
    ss(0x0601, "rsa_pkcs1_sha512", false),
    ss(0x0603, "ecdsa_secp521r1_sha512", false),
    ss(0x0620, "rsa_pkcs1_sha512_legacy", true),
    ss(0x0704, "eccsi_sha256", false),
    ss(0x0705, "iso_ibs1", false),
    ss(0x0706, "iso_ibs2", false),
    ss(0x0707, "iso_chinese_ibs", false),
    ss(0x0708, "sm2sig_sm3", false),
    ss(0x0709, "gostr34102012_256a", false),
    ss(0x070A, "gostr34102012_256b", false),
    ss(0x070B, "gostr34102012_256c", false),
    ss(0x070C, "gostr34102012_256d", false),
    ss(0x070D, "gostr34102012_512a", false),
    ss(0x070E, "gostr34102012_512b", false),
    ss(0x070F, "gostr34102012_512c", false),
    ss(0x0804, "rsa_pss_rsae_sha256", false),
    ss(0x0805, "rsa_pss_rsae_sha384", false),
    ss(0x0806, "rsa_pss_rsae_sha512", false),
    ss(0x0807, "ed25519", false),
    ss(0x0808, "ed448", false),
    ss(0x0809, "rsa_pss_pss_sha256", false),
    ss(0x080A, "rsa_pss_pss_sha384", false),
    ss(0x080B, "rsa_pss_pss_sha512", false),
    ss(0x081A, "ecdsa_brainpoolP256r1tls13_sha256", false),
    ss(0x081B, "ecdsa_brainpoolP384r1tls13_sha384", false),
    ss(0x081C, "ecdsa_brainpoolP512r1tls13_sha512", false),
    ss(0x0904, "mldsa44", false),
    ss(0x0905, "mldsa65", false),
    ss(0x0906, "mldsa87", false),
];

/// The named scheme with this code point.
pub fn by_id(id: u16) -> Option<&'static SignatureSchemeInfo> {
    SIGNATURE_SCHEMES
        .binary_search_by_key(&id, |s| s.id)
        .ok()
        .and_then(|i| SIGNATURE_SCHEMES.get(i))
}

/// The named scheme with this name.
pub fn by_name(name: &str) -> Option<&'static SignatureSchemeInfo> {
    SIGNATURE_SCHEMES.iter().find(|s| s.name == name)
}

/// The TLS 1.2 `HashAlgorithm` name of a byte.
pub const fn hash_name(hash: u8) -> Option<&'static str> {
    Some(match hash {
        0 => "none",
        1 => "md5",
        2 => "sha1",
        3 => "sha224",
        4 => "sha256",
        5 => "sha384",
        6 => "sha512",
        8 => "intrinsic",
        _ => return None,
    })
}

/// The TLS 1.2 `SignatureAlgorithm` name of a byte.
pub const fn signature_name(signature: u8) -> Option<&'static str> {
    Some(match signature {
        0 => "anonymous",
        1 => "rsa",
        2 => "dsa",
        3 => "ecdsa",
        7 => "ed25519",
        8 => "ed448",
        64 => "gostr34102012_256",
        65 => "gostr34102012_512",
        _ => return None,
    })
}

/// A readable name for any two-byte signature algorithm: the TLS 1.3 name when there is
/// one, else the TLS 1.2 pair ("dsa_sha256", "rsa_pkcs1_md5"), else "0x%04x".
pub fn name_of(id: u16) -> Cow<'static, str> {
    if let Some(s) = by_id(id) {
        return Cow::Borrowed(s.name);
    }
    let [hash, signature] = id.to_be_bytes();
    match (hash_name(hash), signature_name(signature)) {
        (Some(h), Some("rsa")) => Cow::Owned(format!("rsa_pkcs1_{h}")),
        (Some(h), Some(s)) => Cow::Owned(format!("{s}_{h}")),
        _ => Cow::Owned(format!("0x{id:04x}")),
    }
}

/// What a modern browser offers in `signature_algorithms`, in its order.
pub const BROWSER_DEFAULT: &[u16] = &[
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];

/// Everything worth offering when the goal is to get any answer: the browser list plus
/// EdDSA, RSA-PSS-PSS, SHA-1, SHA-224, DSA and MD5 pairs (old servers pick one of those).
pub const EVERYTHING: &[u16] = &[
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0603, 0x0807, 0x0808, 0x0809,
    0x080A, 0x080B, 0x081A, 0x081B, 0x081C, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203,
    0x0201, 0x0202, 0x0101,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(SIGNATURE_SCHEMES.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(name_of(0x0804), "rsa_pss_rsae_sha256");
        assert_eq!(name_of(0x0402), "dsa_sha256");
        assert_eq!(name_of(0x0101), "rsa_pkcs1_md5");
        assert_eq!(name_of(0x0303), "ecdsa_sha224");
        assert_eq!(name_of(0xFFFF), "0xffff");
        assert_eq!(by_name("ed25519").map(|s| s.id), Some(0x0807));
    }
}
