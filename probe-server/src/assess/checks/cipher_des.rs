//! `cipher-des`: single-DES suites (56-bit keys).

use shared::{Finding, FindingId, Grade, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::Cipher;

pub(super) const CHECK: Check = Check {
    name: "cipher-des",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.cipher == Cipher::Des && !s.export);
    if found.is_empty() {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::CipherDes,
            Severity::High,
            "Accepts single DES",
            format!(
                "DES keys are 56 bits, found by brute force in a day since 1998. Accepted: {}.",
                describe(&found)
            ),
            "Remove DES suites (OpenSSL: add !DES to the cipher string).",
        ),
        // The rating guide: any cipher under 112 bits caps at F.
        Grade::F,
    )]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_des() {
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x0009]))[0].grade_cap,
            Some(Grade::F)
        );
        assert!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x000a])).is_empty(),
            "3DES is not DES"
        );
    }
}
