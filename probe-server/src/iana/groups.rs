//! The IANA "TLS Supported Groups" registry (named curves, finite-field groups and the
//! post-quantum / hybrid KEM groups), with what a scanner reports about each and what a
//! `key_share` for it looks like on the wire.
//!
//! Security bits are the usual symmetric-equivalent estimates: NIST SP 800-57 for the
//! curves, RFC 7919 Appendix A for the ffdhe groups, the classical part for hybrids (their
//! post-quantum part is at least as strong).

use shared::KeyExchangeGroup;

/// What kind of group a code point names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// A short-Weierstrass prime curve (SEC 2 / brainpool), shares as uncompressed points.
    PrimeCurve,
    /// A binary-field curve (deprecated, TLS ≤ 1.2 only).
    BinaryCurve,
    /// A Montgomery curve (X25519 / X448), shares as u-coordinates.
    Montgomery,
    /// An RFC 7919 finite-field group.
    FiniteField,
    /// A pure ML-KEM group.
    Kem,
    /// A hybrid of a classical group and ML-KEM (or Kyber).
    Hybrid,
    /// Something else (GOST curves, SM2, explicit-curve markers).
    Other,
}

/// One entry of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupInfo {
    /// The code point.
    pub id: u16,
    /// The IANA name.
    pub name: &'static str,
    /// The kind of group.
    pub kind: GroupKind,
    /// Symmetric-equivalent security bits.
    pub bits: u16,
    /// A post-quantum (pure KEM or hybrid) group.
    pub post_quantum: bool,
    /// The size of the group itself (field or modulus bits; 0 for KEMs).
    pub size_bits: u16,
    /// The length of a client's `key_share` for it, when it can be used in TLS 1.3.
    pub client_share_len: Option<u16>,
    /// The length of a server's `key_share` for it, when it can be used in TLS 1.3.
    pub server_share_len: Option<u16>,
    /// IANA recommends it ("Y" in the registry's Recommended column).
    pub recommended: bool,
}

impl GroupInfo {
    /// The report's form of this group.
    pub fn to_shared(&self) -> KeyExchangeGroup {
        KeyExchangeGroup {
            id: self.id,
            name: self.name.to_owned(),
            bits: self.bits,
            post_quantum: self.post_quantum,
        }
    }

    /// True when it can be offered in a TLS 1.3 `key_share`.
    pub const fn tls13(&self) -> bool {
        self.client_share_len.is_some()
    }
}

impl From<&GroupInfo> for KeyExchangeGroup {
    fn from(info: &GroupInfo) -> Self {
        info.to_shared()
    }
}

#[allow(clippy::too_many_arguments)]
const fn g(
    id: u16,
    name: &'static str,
    kind: GroupKind,
    bits: u16,
    size_bits: u16,
    shares: Option<(u16, u16)>,
    recommended: bool,
) -> GroupInfo {
    let (client_share_len, server_share_len) = match shares {
        Some((c, s)) => (Some(c), Some(s)),
        None => (None, None),
    };
    GroupInfo {
        id,
        name,
        kind,
        bits,
        post_quantum: matches!(kind, GroupKind::Kem | GroupKind::Hybrid),
        size_bits,
        client_share_len,
        server_share_len,
        recommended,
    }
}

use GroupKind::{
    BinaryCurve as B, FiniteField as Ff, Hybrid as Hy, Kem, Montgomery as Mo, Other,
    PrimeCurve as P,
};

/// Every group, sorted by code point.
pub static GROUPS: &[GroupInfo] = &[
    g(0x0001, "sect163k1", B, 80, 163, None, false),
    g(0x0002, "sect163r1", B, 80, 163, None, false),
    g(0x0003, "sect163r2", B, 80, 163, None, false),
    g(0x0004, "sect193r1", B, 96, 193, None, false),
    g(0x0005, "sect193r2", B, 96, 193, None, false),
    g(0x0006, "sect233k1", B, 112, 233, None, false),
    g(0x0007, "sect233r1", B, 112, 233, None, false),
    g(0x0008, "sect239k1", B, 112, 239, None, false),
    g(0x0009, "sect283k1", B, 128, 283, None, false),
    g(0x000A, "sect283r1", B, 128, 283, None, false),
    g(0x000B, "sect409k1", B, 192, 409, None, false),
    g(0x000C, "sect409r1", B, 192, 409, None, false),
    g(0x000D, "sect571k1", B, 256, 571, None, false),
    g(0x000E, "sect571r1", B, 256, 571, None, false),
    g(0x000F, "secp160k1", P, 80, 160, None, false),
    g(0x0010, "secp160r1", P, 80, 160, None, false),
    g(0x0011, "secp160r2", P, 80, 160, None, false),
    g(0x0012, "secp192k1", P, 96, 192, None, false),
    g(0x0013, "secp192r1", P, 96, 192, None, false),
    g(0x0014, "secp224k1", P, 112, 224, None, false),
    g(0x0015, "secp224r1", P, 112, 224, None, false),
    g(0x0016, "secp256k1", P, 128, 256, None, false),
    g(0x0017, "secp256r1", P, 128, 256, Some((65, 65)), true),
    g(0x0018, "secp384r1", P, 192, 384, Some((97, 97)), true),
    g(0x0019, "secp521r1", P, 256, 521, Some((133, 133)), false),
    g(0x001A, "brainpoolP256r1", P, 128, 256, None, false),
    g(0x001B, "brainpoolP384r1", P, 192, 384, None, false),
    g(0x001C, "brainpoolP512r1", P, 256, 512, None, false),
    g(0x001D, "x25519", Mo, 128, 255, Some((32, 32)), true),
    g(0x001E, "x448", Mo, 224, 448, Some((56, 56)), true),
    g(
        0x001F,
        "brainpoolP256r1tls13",
        P,
        128,
        256,
        Some((65, 65)),
        false,
    ),
    g(
        0x0020,
        "brainpoolP384r1tls13",
        P,
        192,
        384,
        Some((97, 97)),
        false,
    ),
    g(
        0x0021,
        "brainpoolP512r1tls13",
        P,
        256,
        512,
        Some((129, 129)),
        false,
    ),
    g(0x0022, "GC256A", Other, 128, 256, Some((64, 64)), false),
    g(0x0023, "GC256B", Other, 128, 256, Some((64, 64)), false),
    g(0x0024, "GC256C", Other, 128, 256, Some((64, 64)), false),
    g(0x0025, "GC256D", Other, 128, 256, Some((64, 64)), false),
    g(0x0026, "GC512A", Other, 256, 512, Some((128, 128)), false),
    g(0x0027, "GC512B", Other, 256, 512, Some((128, 128)), false),
    g(0x0028, "GC512C", Other, 256, 512, Some((128, 128)), false),
    g(0x0029, "curveSM2", Other, 128, 256, Some((65, 65)), false),
    g(0x0100, "ffdhe2048", Ff, 103, 2048, Some((256, 256)), false),
    g(0x0101, "ffdhe3072", Ff, 125, 3072, Some((384, 384)), false),
    g(0x0102, "ffdhe4096", Ff, 150, 4096, Some((512, 512)), false),
    g(0x0103, "ffdhe6144", Ff, 175, 6144, Some((768, 768)), false),
    g(
        0x0104,
        "ffdhe8192",
        Ff,
        192,
        8192,
        Some((1024, 1024)),
        false,
    ),
    g(0x0200, "MLKEM512", Kem, 128, 0, Some((800, 768)), false),
    g(0x0201, "MLKEM768", Kem, 192, 0, Some((1184, 1088)), false),
    g(0x0202, "MLKEM1024", Kem, 256, 0, Some((1568, 1568)), false),
    g(
        0x11EB,
        "SecP256r1MLKEM768",
        Hy,
        128,
        0,
        Some((65 + 1184, 65 + 1088)),
        false,
    ),
    g(
        0x11EC,
        "X25519MLKEM768",
        Hy,
        128,
        0,
        Some((1184 + 32, 1088 + 32)),
        true,
    ),
    g(
        0x11ED,
        "SecP384r1MLKEM1024",
        Hy,
        192,
        0,
        Some((97 + 1568, 97 + 1568)),
        false,
    ),
    g(
        0x6399,
        "X25519Kyber768Draft00",
        Hy,
        128,
        0,
        Some((32 + 1184, 32 + 1088)),
        false,
    ),
    g(
        0x639A,
        "SecP256r1Kyber768Draft00",
        Hy,
        128,
        0,
        Some((65 + 1184, 65 + 1088)),
        false,
    ),
    g(
        0xFF01,
        "arbitrary_explicit_prime_curves",
        Other,
        0,
        0,
        None,
        false,
    ),
    g(
        0xFF02,
        "arbitrary_explicit_char2_curves",
        Other,
        0,
        0,
        None,
        false,
    ),
];

/// The group with this code point.
pub fn by_id(id: u16) -> Option<&'static GroupInfo> {
    GROUPS
        .binary_search_by_key(&id, |g| g.id)
        .ok()
        .and_then(|i| GROUPS.get(i))
}

/// The group with this IANA name (case-insensitive; "X25519" finds x25519).
pub fn by_name(name: &str) -> Option<&'static GroupInfo> {
    GROUPS.iter().find(|g| g.name.eq_ignore_ascii_case(name))
}

/// The IANA name of a code point.
pub fn name_of(id: u16) -> Option<&'static str> {
    by_id(id).map(|g| g.name)
}

/// Well-known code points.
pub mod ids {
    /// secp256r1 (P-256).
    pub const SECP256R1: u16 = 0x0017;
    /// secp384r1 (P-384).
    pub const SECP384R1: u16 = 0x0018;
    /// secp521r1 (P-521).
    pub const SECP521R1: u16 = 0x0019;
    /// X25519.
    pub const X25519: u16 = 0x001D;
    /// X448.
    pub const X448: u16 = 0x001E;
    /// ffdhe2048.
    pub const FFDHE2048: u16 = 0x0100;
    /// ffdhe3072.
    pub const FFDHE3072: u16 = 0x0101;
    /// ffdhe4096.
    pub const FFDHE4096: u16 = 0x0102;
    /// ffdhe6144.
    pub const FFDHE6144: u16 = 0x0103;
    /// ffdhe8192.
    pub const FFDHE8192: u16 = 0x0104;
    /// ML-KEM-512.
    pub const MLKEM512: u16 = 0x0200;
    /// ML-KEM-768.
    pub const MLKEM768: u16 = 0x0201;
    /// ML-KEM-1024.
    pub const MLKEM1024: u16 = 0x0202;
    /// SecP256r1MLKEM768.
    pub const SECP256R1_MLKEM768: u16 = 0x11EB;
    /// X25519MLKEM768.
    pub const X25519_MLKEM768: u16 = 0x11EC;
    /// SecP384r1MLKEM1024.
    pub const SECP384R1_MLKEM1024: u16 = 0x11ED;
    /// X25519Kyber768Draft00 (obsolete pre-standard hybrid).
    pub const X25519_KYBER768_DRAFT00: u16 = 0x6399;
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(GROUPS.windows(2).all(|w| w[0].id < w[1].id));
        let names: HashSet<_> = GROUPS.iter().map(|g| g.name).collect();
        assert_eq!(names.len(), GROUPS.len());
        assert_eq!(GROUPS.len(), 56);
    }

    #[test]
    fn spot_checks() {
        let x = by_id(ids::X25519_MLKEM768).expect("known");
        assert_eq!(x.name, "X25519MLKEM768");
        assert!(x.post_quantum);
        assert_eq!(x.client_share_len, Some(1216));
        assert_eq!(x.server_share_len, Some(1120));
        assert_eq!(by_name("X25519").map(|g| g.id), Some(0x001D));
        assert_eq!(by_id(ids::FFDHE2048).map(|g| g.size_bits), Some(2048));
        assert!(!by_id(ids::SECP256R1).is_some_and(|g| g.post_quantum));
        assert!(!by_id(0x0017 - 1).is_some_and(GroupInfo::tls13));
        let shared = by_id(ids::X25519).expect("known").to_shared();
        assert_eq!((shared.name.as_str(), shared.bits), ("x25519", 128));
    }
}
