//! `served-chains`: the certificate checks, run again on every other chain the server serves
//! (a server with an RSA and an ECDSA certificate picks one by what the client offers). A
//! client offering only that chain's signatures gets it, so its defects are the site's: each
//! finding keeps its id and grade cap (the grade is the weakest chain a client can be
//! served), and says which chain it is about.

use shared::Finding;

use super::{
    Check, cert_expired, cert_expiring_soon, cert_name_mismatch, cert_not_yet_valid, cert_revoked,
    cert_self_signed, cert_untrusted, cert_weak_key, cert_weak_signature, chain_incomplete,
    chain_validity_disjoint,
};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "served-chains",
    run,
};

/// The checks that judge a chain alone (its certificates and trust verdict), not the
/// connection it came over.
const PER_CHAIN: &[Check] = &[
    cert_expired::CHECK,
    cert_not_yet_valid::CHECK,
    cert_expiring_soon::CHECK,
    cert_self_signed::CHECK,
    cert_untrusted::CHECK,
    cert_name_mismatch::CHECK,
    cert_revoked::CHECK,
    chain_incomplete::CHECK,
    chain_validity_disjoint::CHECK,
    cert_weak_key::CHECK,
    cert_weak_signature::CHECK,
];

fn run(obs: &Observations) -> Vec<Finding> {
    let mut found = Vec::new();
    for other in &obs.other_chains {
        let mut as_if_first = obs.clone();
        as_if_first.other_chains = Vec::new();
        as_if_first
            .certificates
            .clone_from(&other.judged.certificates);
        as_if_first.trust = other.judged.trust.clone();
        let key = match other.key_type.as_str() {
            "EC" => "ECDSA",
            other => other,
        };
        for check in PER_CHAIN {
            for mut finding in (check.run)(&as_if_first) {
                finding.title = format!("{} (the {key} certificate)", finding.title);
                finding.detail = format!(
                    "The {key} chain, served to {}: {}",
                    other.served_to, finding.detail
                );
                found.push(finding);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use shared::{Grade, TrustIssue, TrustIssueKind};

    use super::*;
    use crate::assess::checks::testing::{cert, healthy, ids};
    use crate::pki::{JudgedChain, OtherChain};

    fn with_other(trust: shared::Trust) -> Observations {
        let mut obs = healthy();
        let mut rsa = cert(80);
        rsa.summary.key = shared::PublicKeyInfo {
            algorithm: "RSA".into(),
            bits: 2048,
            curve: None,
        };
        obs.other_chains.push(OtherChain {
            key_type: "RSA".into(),
            served_to: "clients offering only RSA or EdDSA signatures".into(),
            judged: JudgedChain {
                certificates: vec![rsa],
                trust,
                ocsp: Vec::new(),
            },
        });
        obs
    }

    #[test]
    fn a_sound_other_chain_finds_nothing() {
        let obs = with_other(healthy().trust);
        assert!(run(&obs).is_empty());
        assert!(run(&healthy()).is_empty());
    }

    #[test]
    fn an_expired_other_chain_is_found_named_and_capped() {
        let mut trust = healthy().trust;
        trust.trusted = false;
        trust.issues.push(TrustIssue {
            kind: TrustIssueKind::Expired,
            message: "the certificate expired on X (3 days ago)".into(),
        });
        let found = run(&with_other(trust));
        assert_eq!(ids(&found), ["cert-expired"]);
        assert_eq!(found[0].grade_cap, Some(Grade::T));
        assert_eq!(
            found[0].detail,
            "The RSA chain, served to clients offering only RSA or EdDSA signatures: The \
             certificate expired on X (3 days ago)"
        );
        assert!(found[0].title.ends_with("(the RSA certificate)"));
    }
}
