//! `cipher-anon`: suites without server authentication (anonymous DH/ECDH).

use shared::{Finding, FindingId, Grade, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::{Authentication, Cipher};

pub(super) const CHECK: Check = Check {
    name: "cipher-anon",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    // TLS_NULL_WITH_NULL_NULL is the NULL check's business.
    let found = accepted_where(obs, |s| {
        s.authentication == Authentication::Anon && s.cipher != Cipher::Null
    });
    if found.is_empty() {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::CipherAnon,
            Severity::Critical,
            "Accepts anonymous suites",
            format!(
                "The server accepts suites in which it does not authenticate itself, so anyone in the middle can \
                 impersonate it: {}.",
                describe(&found)
            ),
            "Remove anonymous suites (OpenSSL: add !aNULL to the cipher string).",
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
    fn flags_anonymous_key_exchange() {
        assert!(run(&with_suites(ProtocolVersion::Tls12, &[0xc02f])).is_empty());
        // TLS_DH_anon_WITH_AES_128_GCM_SHA256
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0x00a6]))[0].grade_cap,
            Some(Grade::F)
        );
    }
}
