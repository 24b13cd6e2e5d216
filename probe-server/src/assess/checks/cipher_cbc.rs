//! `cipher-cbc`: CBC-mode suites with TLS 1.2 (MAC-then-encrypt: Lucky13-class timing leaks).
//! Informational for TLS 1.0/1.1, which have nothing better (see `beast`).

use shared::{Finding, FindingId, ProtocolVersion, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::CipherMode;

pub(super) const CHECK: Check = Check {
    name: "cipher-cbc",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found: Vec<_> = accepted_where(obs, |s| s.mode == CipherMode::Cbc && !s.export)
        .into_iter()
        .filter(|(v, _)| *v == ProtocolVersion::Tls12)
        .collect();
    if found.is_empty() {
        return Vec::new();
    }
    vec![finding(
        FindingId::CipherCbc,
        Severity::Low,
        "Accepts CBC suites with TLS 1.2",
        format!(
            "CBC suites authenticate before they encrypt, which has led to padding-oracle and timing attacks \
             (Lucky13, POODLE-TLS); TLS 1.2 clients all support AEAD suites instead. Accepted: {}.",
            describe(&found)
        ),
        "Prefer AES-GCM and ChaCha20-Poly1305; drop CBC suites once old clients do not matter.",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_cbc_with_tls12_only() {
        assert!(run(&with_suites(ProtocolVersion::Tls12, &[0xc02f])).is_empty());
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0xc013])).len(),
            1
        );
        assert!(run(&with_suites(ProtocolVersion::Tls10, &[0xc013])).is_empty());
    }
}
