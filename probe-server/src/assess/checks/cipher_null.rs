//! `cipher-null`: suites without encryption.

use shared::{Finding, FindingId, Grade, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::Cipher;

pub(super) const CHECK: Check = Check {
    name: "cipher-null",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.cipher == Cipher::Null);
    if found.is_empty() {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::CipherNull,
            Severity::Critical,
            "Accepts suites without encryption",
            format!(
                "The server accepts NULL suites, which send everything in clear text: {}.",
                describe(&found)
            ),
            "Remove NULL suites from the configuration (OpenSSL: add !eNULL to the cipher string).",
        ),
        Grade::F,
    )]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_null_encryption() {
        assert!(run(&with_suites(ProtocolVersion::Tls12, &[0xc02f])).is_empty());
        let found = run(&with_suites(ProtocolVersion::Tls12, &[0xc02f, 0x003b]));
        assert_eq!(found[0].grade_cap, Some(Grade::F));
        assert!(
            found[0]
                .detail
                .contains("TLS_RSA_WITH_NULL_SHA256 (TLS 1.2)"),
            "{}",
            found[0].detail
        );
    }
}
