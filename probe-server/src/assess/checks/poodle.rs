//! `poodle-sslv3`: SSL 3.0 with CBC suites (CVE-2014-3566).

use shared::{Finding, FindingId, Grade, ProtocolVersion, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::CipherMode;

pub(super) const CHECK: Check = Check {
    name: "poodle-sslv3",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found: Vec<_> = accepted_where(obs, |s| s.mode == CipherMode::Cbc)
        .into_iter()
        .filter(|(v, _)| *v == ProtocolVersion::Ssl3)
        .collect();
    if found.is_empty() {
        return Vec::new();
    }
    let mut f = capped(
        finding(
            FindingId::PoodleSslv3,
            Severity::High,
            "Vulnerable to POODLE",
            format!(
                "SSL 3.0's CBC padding is not checked, so an attacker who can downgrade a connection recovers a \
                 byte of plaintext per 256 requests (CVE-2014-3566). SSL 3.0 CBC suites accepted: {}.",
                describe(&found)
            ),
            "Disable SSL 3.0.",
        ),
        Grade::C,
    );
    f.cve = vec!["CVE-2014-3566".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn needs_sslv3_and_cbc() {
        assert_eq!(
            run(&with_suites(ProtocolVersion::Ssl3, &[0x002f]))[0].grade_cap,
            Some(Grade::C)
        );
        assert!(
            run(&with_suites(ProtocolVersion::Ssl3, &[0x0005])).is_empty(),
            "RC4 is not CBC"
        );
        assert!(run(&with_suites(ProtocolVersion::Tls10, &[0x002f])).is_empty());
    }
}
