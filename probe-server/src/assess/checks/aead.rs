//! `no-aead`: no authenticated-encryption suite at all.

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check { name: "aead", run };

fn run(obs: &Observations) -> Vec<Finding> {
    if !obs.suites_enumerated()
        || obs.accepted_suites().next().is_none()
        || obs.accepted_suites().any(|(_, s)| s.aead)
    {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::NoAead,
            Severity::Medium,
            "No authenticated encryption (AEAD)",
            "The server accepts only CBC or stream suites, whose MAC-then-encrypt design has a long history of \
             padding-oracle and timing attacks.",
            "Enable TLS 1.2 AEAD suites (AES-GCM, ChaCha20-Poly1305) and TLS 1.3.",
        ),
        Grade::B,
    )]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_servers_without_any_aead_suite() {
        assert!(run(&with_suites(ProtocolVersion::Tls12, &[0xc013, 0xc02f])).is_empty());
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0xc013]))[0].grade_cap,
            Some(Grade::B)
        );
    }
}
