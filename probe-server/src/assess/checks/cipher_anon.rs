//! `cipher-anon`: suites without server authentication (anonymous DH/ECDH), whatever their
//! encryption. A suite that is both anonymous and unencrypted (e.g.
//! TLS_ECDH_anon_WITH_NULL_SHA) raises this finding and `cipher-null`: each names its own fix.

use shared::{Finding, FindingId, Grade, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::Authentication;

pub(super) const CHECK: Check = Check {
    name: "cipher-anon",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.authentication == Authentication::Anon);
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

    #[test]
    fn anonymous_suites_without_encryption_are_anonymous_too() {
        // TLS_ECDH_anon_WITH_NULL_SHA: no authentication and no encryption.
        let obs = with_suites(ProtocolVersion::Tls12, &[0xc02f, 0xc015]);
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].grade_cap, Some(Grade::F));
        assert!(
            found[0].detail.contains("TLS_ECDH_anon_WITH_NULL_SHA"),
            "{}",
            found[0].detail
        );
        let everything = crate::assess::checks::run_all(&obs);
        let all = crate::assess::checks::testing::ids(&everything);
        assert!(
            all.contains(&"cipher-null") && all.contains(&"cipher-anon"),
            "{all:?}"
        );
    }
}
