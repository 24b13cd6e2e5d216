//! `cipher-3des`: Triple DES suites.

use shared::{Finding, FindingId, Grade, ProtocolVersion, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::Cipher;

pub(super) const CHECK: Check = Check {
    name: "cipher-3des",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.cipher == Cipher::TripleDes);
    if found.is_empty() {
        return Vec::new();
    }
    // SSL Labs (2017): 3DES *negotiated* with TLS 1.1+ caps at C. A server that chooses the
    // suite itself and ranks 3DES below a better suite never negotiates it with a modern
    // client, so it is not capped.
    let negotiable_modern = obs
        .protocols
        .iter()
        .filter(|p| p.version >= ProtocolVersion::Tls11)
        .any(|p| {
            let Some(first_3des) = p
                .cipher_suites
                .iter()
                .position(|s| found.iter().any(|(_, f)| f.id == s.id))
            else {
                return false;
            };
            p.server_preference != Some(true)
                || p.cipher_suites[..first_3des]
                    .iter()
                    .all(|s| !s.aead && !s.forward_secrecy)
        });
    let detail = format!(
        "Triple DES has a 64-bit block, so long connections leak plaintext (Sweet32), and only 112 bits of \
         strength. Accepted: {}.",
        describe(&found)
    );
    let f = finding(
        FindingId::Cipher3des,
        Severity::Medium,
        "Accepts 3DES",
        detail,
        "Remove 3DES suites (OpenSSL: add !3DES to the cipher string); only Windows XP-era clients need them.",
    );
    vec![if negotiable_modern {
        capped(f, Grade::C)
    } else {
        f
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn caps_only_when_a_modern_client_could_get_it() {
        // Client's order: a client offering 3DES first gets it.
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0xc02f, 0x000a]))[0].grade_cap,
            Some(Grade::C)
        );
        // Server's order with 3DES last: no cap, still a finding.
        let mut obs = with_suites(ProtocolVersion::Tls12, &[0xc02f, 0x000a]);
        obs.protocols
            .iter_mut()
            .for_each(|p| p.server_preference = Some(true));
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].grade_cap, None);
        assert!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x000a]))[0]
                .grade_cap
                .is_none()
        );
    }
}
