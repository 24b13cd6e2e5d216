//! `dh-not-prime`, `dh-not-safe-prime`, `dh-common-prime`: what the DH groups the server
//! sends are, beyond their size (which `weak-dh` and `logjam` judge).
//!
//! - A composite modulus gives no security: the discrete logarithm splits over its factors.
//!   F, as NULL encryption.
//! - A prime that is not a safe prime: TLS sends no subgroup order, so neither side can check
//!   that a share lies in a large prime-order subgroup; a server that reuses its exponent
//!   leaks it to small-subgroup attacks (CVE-2016-0701). No cap: SSL Labs' guide does not
//!   grade it, and the groups of RFC 5114 are of this kind.
//! - A widely shared small prime (RFC 2409 Oakley group 2, Apache mod_ssl's built-in prime):
//!   the Logjam paper's point is that one precomputation breaks every server using it. B, as
//!   a 1024-bit group; smaller ones are F through `logjam` already.

use shared::{FfdhGroup, Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::dh_groups;

pub(super) const CHECK: Check = Check {
    name: "dh-groups",
    run,
};

const FIX: &str = "Use a published safe-prime group of 2048 bits or more, such as ffdhe2048 from RFC 7919 \
                   (OpenSSL 3: drop the custom dhparam file and let the library choose; nginx: ssl_dhparam with \
                   `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`), or remove DHE suites \
                   in favour of ECDHE.";

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(groups) = &obs.key_exchange.dh_groups else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let composite: Vec<&FfdhGroup> = groups.iter().filter(|g| g.prime == Some(false)).collect();
    if !composite.is_empty() {
        findings.push(capped(
            finding(
                FindingId::DhNotPrime,
                Severity::Critical,
                "The Diffie-Hellman modulus is not prime",
                format!(
                    "The server's DHE suites use {}, whose modulus is composite: whoever factors it computes the \
                     key of every DHE connection, so these suites offer no secrecy.",
                    describe(&composite)
                ),
                FIX,
            ),
            Grade::F,
        ));
    }
    let unsafe_primes: Vec<&FfdhGroup> = groups
        .iter()
        .filter(|g| g.prime == Some(true) && g.safe_prime == Some(false))
        .collect();
    if !unsafe_primes.is_empty() {
        findings.push(finding(
            FindingId::DhNotSafePrime,
            Severity::Medium,
            "The Diffie-Hellman prime is not a safe prime",
            format!(
                "The server's DHE suites use {}: the modulus p is prime but (p - 1) / 2 is not, and TLS sends no \
                 subgroup order, so shares cannot be checked to lie in a large prime-order subgroup. A server \
                 that reuses its private exponent leaks it to small-subgroup attacks (CVE-2016-0701).",
                describe(&unsafe_primes)
            ),
            FIX,
        ));
    }
    let shared_weak: Vec<&FfdhGroup> = groups
        .iter()
        .filter(|g| {
            dh_groups::by_prime_sha256(&g.prime_sha256).is_some_and(|k| k.widely_shared_weak)
        })
        .collect();
    if !shared_weak.is_empty() {
        findings.push(capped(
            finding(
                FindingId::DhCommonPrime,
                Severity::High,
                "The server uses a widely shared weak Diffie-Hellman prime",
                format!(
                    "The server's DHE suites use {}: one of the few small primes shared by so many servers that \
                     precomputing against it once pays; the Logjam paper (2015) estimates a nation-state can do \
                     so for a 1024-bit prime and then break each key exchange that uses it in minutes.",
                    describe(&shared_weak)
                ),
                FIX,
            ),
            Grade::B,
        ));
    }
    findings
}

/// "the 2048-bit group ffdhe2048 (RFC 7919)" or "a 2048-bit group (SHA-256 of p 3f35a3f5…)",
/// joined.
fn describe(groups: &[&FfdhGroup]) -> String {
    let each: Vec<String> = groups
        .iter()
        .map(|g| match &g.known_as {
            Some(name) => format!("the {}-bit group {name}", g.bits),
            None => format!(
                "a {}-bit group of its own (generator {}, SHA-256 of p {}…)",
                g.bits,
                g.generator,
                g.prime_sha256.get(..16).unwrap_or(&g.prime_sha256)
            ),
        })
        .collect();
    each.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::{healthy, ids};

    fn group(prime: Option<bool>, safe: Option<bool>, sha: &str, known: Option<&str>) -> FfdhGroup {
        FfdhGroup {
            bits: 2048,
            generator: "02".into(),
            prime_sha256: sha.into(),
            known_as: known.map(str::to_owned),
            prime,
            safe_prime: safe,
        }
    }

    fn with(groups: Vec<FfdhGroup>) -> Vec<Finding> {
        let mut obs = healthy();
        obs.key_exchange.dh_groups = Some(groups);
        run(&obs)
    }

    #[test]
    fn a_published_safe_prime_is_fine() {
        assert!(run(&healthy()).is_empty());
        let ffdhe = dh_groups::KNOWN[0];
        assert!(
            with(vec![group(
                Some(true),
                Some(true),
                ffdhe.prime_sha256,
                Some(ffdhe.name)
            )])
            .is_empty()
        );
    }

    #[test]
    fn a_composite_modulus_is_f() {
        let found = with(vec![group(Some(false), Some(false), "ab", None)]);
        assert_eq!(ids(&found), ["dh-not-prime"]);
        assert_eq!(found[0].grade_cap, Some(Grade::F));
        assert!(
            found[0].detail.contains("group of its own"),
            "{}",
            found[0].detail
        );
    }

    #[test]
    fn a_prime_that_is_not_safe_is_reported_without_a_cap() {
        let found = with(vec![group(Some(true), Some(false), "cd", None)]);
        assert_eq!(ids(&found), ["dh-not-safe-prime"]);
        assert_eq!(found[0].grade_cap, None);
        assert_eq!(found[0].severity, Severity::Medium);
    }

    #[test]
    fn an_untested_modulus_is_not_judged() {
        assert!(with(vec![group(None, None, "ef", None)]).is_empty());
    }

    #[test]
    fn a_widely_shared_1024_bit_prime_is_named_and_caps_at_b() {
        let oakley = dh_groups::KNOWN
            .iter()
            .find(|g| g.name.starts_with("RFC 2409 Oakley group 2"))
            .unwrap();
        let mut g = group(
            Some(true),
            Some(true),
            oakley.prime_sha256,
            Some(oakley.name),
        );
        g.bits = 1024;
        let found = with(vec![g]);
        assert_eq!(ids(&found), ["dh-common-prime"]);
        assert_eq!(found[0].grade_cap, Some(Grade::B));
        assert!(
            found[0].detail.contains("RFC 2409 Oakley group 2"),
            "{}",
            found[0].detail
        );
    }
}
