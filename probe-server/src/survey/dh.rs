//! What a DH group a server sent is: its size, whether it is a published group, and whether
//! its modulus is prime and a safe prime.
//!
//! A ServerKeyExchange carries only p and g, never the order of the subgroup g generates, so
//! a client can only trust a share if p is a safe prime (p = 2q + 1, q prime): then every
//! share other than 1 and p − 1 lies in the subgroup of order q. A composite p offers no
//! security at all (discrete logarithms split over its factors). Primality is tested with
//! the RustCrypto `crypto-primes` crate (Baillie-PSW: Miller-Rabin base 2 and a strong Lucas
//! test).

use crypto_bigint::BoxedUint;
use crypto_primes::{Flavor, is_prime};
use sha2::{Digest, Sha256};
use shared::FfdhGroup;

use crate::iana::dh_groups;

/// The largest modulus tested for primality: bigger ones (which no real server sends) are
/// reported untested rather than let a hostile server make the probe work for minutes.
pub const MAX_TESTED_BITS: u32 = 8192;

/// The most distinct groups judged in one scan.
pub const MAX_JUDGED_GROUPS: usize = 8;

/// Judges the group (`p`, `g`, big-endian, as the ServerKeyExchange had them).
pub fn judge(p: &[u8], g: &[u8]) -> FfdhGroup {
    let p = strip_leading_zeros(p);
    let g = strip_leading_zeros(g);
    let bits = crate::wire::server::bit_length(p);
    let prime_sha256 = hex::encode(Sha256::digest(p));
    let known = dh_groups::by_prime_sha256(&prime_sha256);
    let (prime, safe_prime) = match known {
        Some(group) => (Some(true), Some(group.safe_prime)),
        None if bits <= MAX_TESTED_BITS as usize => {
            let (prime, safe) = primality(p);
            (Some(prime), Some(safe))
        }
        None => (None, None),
    };
    FfdhGroup {
        bits: u16::try_from(bits).unwrap_or(u16::MAX),
        generator: if g.is_empty() {
            "00".to_owned()
        } else {
            hex::encode(g)
        },
        prime_sha256,
        known_as: known.map(|k| k.name.to_owned()),
        prime,
        safe_prime,
    }
}

/// (prime, safe prime) for a modulus of at most [`MAX_TESTED_BITS`].
fn primality(p: &[u8]) -> (bool, bool) {
    if p.is_empty() {
        return (false, false);
    }
    // Round the precision up to whole 64-bit limbs: `from_be_slice` wants room for every byte.
    let precision = u32::try_from(p.len() * 8)
        .unwrap_or(MAX_TESTED_BITS)
        .div_ceil(64)
        * 64;
    let Ok(n) = BoxedUint::from_be_slice(p, precision) else {
        return (false, false);
    };
    // Most servers send safe primes: test that first (p, then q = (p - 1) / 2), and p alone
    // only when it is not one.
    if is_prime(Flavor::Safe, &n) {
        (true, true)
    } else {
        (is_prime(Flavor::Any, &n), false)
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;
    use testbed::DhGroup;

    use super::*;

    fn bytes(n: &BigUint) -> Vec<u8> {
        n.to_bytes_be()
    }

    #[test]
    fn names_the_test_beds_published_groups_and_confirms_they_are_safe_primes() {
        for (group, name) in [
            (DhGroup::Ffdhe2048, "ffdhe2048 (RFC 7919)"),
            (DhGroup::Ffdhe3072, "ffdhe3072 (RFC 7919)"),
            (DhGroup::Oakley1024, "RFC 2409 Oakley group 2"),
            (DhGroup::Oakley768, "RFC 2409 Oakley group 1"),
            (DhGroup::Export512, "SKIP 512-bit prime"),
        ] {
            let params = group.params();
            let judged = judge(&bytes(&params.p), &bytes(&params.g));
            assert!(
                judged.known_as.as_deref().unwrap().starts_with(name),
                "{group:?}: {:?}",
                judged.known_as
            );
            assert_eq!(u64::from(judged.bits), group.bits());
            assert_eq!(judged.generator, "02");
            // The table's claim, checked by the test itself.
            assert_eq!(primality(&bytes(&params.p)), (true, true), "{group:?}");
        }
    }

    /// The prime OpenSSL 3 has for the named group, read back from its PEM parameters.
    fn openssl_prime(group: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("dh.pem");
        let status = std::process::Command::new("openssl")
            .args(["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt"])
            .arg(format!("group:{group}"))
            .arg("-out")
            .arg(&pem)
            .status()
            .expect("run openssl");
        assert!(status.success(), "openssl genpkey {group}");
        let out = std::process::Command::new("openssl")
            .args(["asn1parse", "-in"])
            .arg(&pem)
            .output()
            .expect("run openssl");
        let text = String::from_utf8(out.stdout).unwrap();
        let hex = text
            .lines()
            .find_map(|l| l.split("prim: INTEGER").nth(1))
            .and_then(|rest| rest.trim().strip_prefix(':'))
            .expect("a first INTEGER");
        hex::decode(hex.trim()).unwrap()
    }

    #[test]
    fn the_table_matches_openssls_published_groups() {
        for (openssl_name, ours) in [
            ("ffdhe2048", "ffdhe2048 (RFC 7919)"),
            ("ffdhe4096", "ffdhe4096 (RFC 7919)"),
            ("ffdhe8192", "ffdhe8192 (RFC 7919)"),
            ("modp_1536", "RFC 3526 group 5"),
            ("modp_2048", "RFC 3526 group 14"),
            ("modp_3072", "RFC 3526 group 15"),
            ("modp_6144", "RFC 3526 group 17"),
            ("dh_2048_256", "RFC 5114 2048-bit MODP group with 256-bit"),
            ("dh_1024_160", "RFC 5114 1024-bit MODP group with 160-bit"),
        ] {
            let p = openssl_prime(openssl_name);
            let judged = judge(&p, &[2]);
            let known = judged.known_as.unwrap_or_default();
            assert!(known.starts_with(ours), "{openssl_name}: {known:?}");
            let row = dh_groups::by_prime_sha256(&judged.prime_sha256).unwrap();
            assert_eq!(usize::from(row.bits), crate::wire::server::bit_length(&p));
            if p.len() <= 256 {
                // The table's safe-prime claim, tested (larger ones take long unoptimised).
                assert_eq!(primality(&p), (true, row.safe_prime), "{openssl_name}");
            }
        }
    }

    #[test]
    fn a_composite_modulus_is_not_prime() {
        // 2^2047 + 1 is divisible by 3.
        let n = (BigUint::from(1u8) << 2047u32) + 1u8;
        let judged = judge(&bytes(&n), &[2]);
        assert_eq!(judged.bits, 2048);
        assert_eq!(
            (judged.prime, judged.safe_prime),
            (Some(false), Some(false))
        );
        assert_eq!(judged.known_as, None);
        // A product of two 1024-bit numbers: no small factor for a sieve to find.
        let oakley = &DhGroup::Oakley1024.params().p;
        let product = oakley * (oakley + 2u8);
        assert!(!primality(&bytes(&product)).0);
    }

    #[test]
    fn a_prime_that_is_not_safe_is_told_apart() {
        // 2^127 - 1 is a Mersenne prime; (p - 1) / 2 = 2^126 - 1 is divisible by 3.
        let p = (BigUint::from(1u8) << 127u32) - 1u8;
        assert_eq!(primality(&bytes(&p)), (true, false));
        // 2^255 - 19 is prime; (p - 1) / 2 = 2^254 - 10 is even.
        let p = (BigUint::from(1u8) << 255u32) - 19u8;
        assert_eq!(primality(&bytes(&p)), (true, false));
        // 23 = 2 * 11 + 1 is a safe prime.
        assert_eq!(primality(&[23]), (true, true));
    }

    #[test]
    fn leading_zeros_do_not_change_the_group() {
        let p = bytes(&DhGroup::Ffdhe2048.params().p);
        let mut padded = vec![0, 0];
        padded.extend_from_slice(&p);
        assert_eq!(judge(&padded, &[0, 2]), judge(&p, &[2]));
    }

    #[test]
    fn a_modulus_too_large_to_test_is_reported_untested() {
        let n = (BigUint::from(1u8) << (MAX_TESTED_BITS + 100)) + 1u8;
        let judged = judge(&bytes(&n), &[2]);
        assert_eq!((judged.prime, judged.safe_prime), (None, None));
    }
}
