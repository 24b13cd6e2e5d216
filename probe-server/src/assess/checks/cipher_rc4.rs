//! `cipher-rc4`: RC4 suites (RFC 7465 prohibits them).

use shared::{Finding, FindingId, Grade, ProtocolVersion, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::Cipher;

pub(super) const CHECK: Check = Check {
    name: "cipher-rc4",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    // Export RC4 is the export check's business.
    let found = accepted_where(obs, |s| s.cipher == Cipher::Rc4 && !s.export);
    if found.is_empty() {
        return Vec::new();
    }
    // The rating guide: RC4 with TLS 1.1 or newer caps at C; with older protocols only, B.
    let modern = found.iter().any(|(v, _)| *v >= ProtocolVersion::Tls11);
    vec![capped(
        finding(
            FindingId::CipherRc4,
            Severity::High,
            "Accepts RC4",
            format!(
                "RC4's keystream biases let an attacker recover plaintext such as cookies from enough \
                 connections; RFC 7465 prohibits it. Accepted: {}.",
                describe(&found)
            ),
            "Remove RC4 suites (OpenSSL: add !RC4 to the cipher string).",
        ),
        if modern { Grade::C } else { Grade::B },
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn caps_at_c_with_modern_protocols() {
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0x0005]))[0].grade_cap,
            Some(Grade::C)
        );
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x0005]))[0].grade_cap,
            Some(Grade::B)
        );
        assert!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x0003])).is_empty(),
            "export RC4"
        );
    }
}
