//! `chain-incomplete`: the server does not send an intermediate the chain needs.
//!
//! Reported whether or not the intermediate could then be fetched through AIA: the fix, "send
//! the intermediate", is the same. The cap follows what AIA achieved: B when the fetched
//! intermediate completes a trusted chain (browsers cope, other clients fail), T when nothing
//! completes it (no caIssuers URL, a failed fetch, a certificate that does not verify).

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::{Check, capped, finding, trust_issues};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "chain-incomplete",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(detail) = trust_issues(obs, TrustIssueKind::IncompleteChain) else {
        return Vec::new();
    };
    let rescued = !obs.trust.issues.iter().any(|i| path_failed(i.kind));
    let (severity, cap) = if rescued {
        (Severity::Medium, Grade::B)
    } else {
        (Severity::High, Grade::T)
    };
    vec![capped(
        finding(
            FindingId::ChainIncomplete,
            severity,
            "The certificate chain is incomplete",
            format!("{detail}."),
            "Configure the server with the full chain: the leaf followed by every intermediate (e.g. nginx \
             ssl_certificate fullchain.pem).",
        ),
        cap,
    )]
}

/// The issue kinds that mean no path to a trusted root was found.
fn path_failed(kind: TrustIssueKind) -> bool {
    matches!(
        kind,
        TrustIssueKind::UnknownIssuer
            | TrustIssueKind::BadSignature
            | TrustIssueKind::InvalidPurpose
            | TrustIssueKind::Unsupported
            | TrustIssueKind::ValidityDisjoint
            | TrustIssueKind::SelfSigned
            | TrustIssueKind::Other
    )
}

#[cfg(test)]
mod tests {
    use shared::TrustIssue;

    use super::*;
    use crate::assess::checks::testing::healthy;

    fn missing() -> TrustIssue {
        TrustIssue {
            kind: TrustIssueKind::IncompleteChain,
            message:
                "the server does not send the intermediate certificate that issued the certificate \
                      ('CN=Probe Test Intermediate')"
                    .into(),
        }
    }

    #[test]
    fn caps_at_b_when_aia_completes_a_trusted_chain() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.trust.chain_complete = Some(false);
        obs.trust.issues.push(missing());
        let found = run(&obs);
        assert_eq!(found[0].grade_cap, Some(Grade::B));
        assert_eq!(found[0].severity, Severity::Medium);
    }

    #[test]
    fn caps_at_t_when_nothing_completes_it_and_names_the_missing_issuer() {
        let mut obs = healthy();
        obs.trust.trusted = false;
        obs.trust.chain_complete = Some(false);
        obs.trust.issues.push(missing());
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::UnknownIssuer,
            message: "the chain does not lead to a trusted root".into(),
        });
        let found = run(&obs);
        assert_eq!(found[0].grade_cap, Some(Grade::T));
        assert!(
            found[0].detail.contains("Probe Test Intermediate"),
            "{}",
            found[0].detail
        );
        let everything = crate::assess::checks::run_all(&obs);
        let ids = crate::assess::checks::testing::ids(&everything);
        assert!(
            ids.contains(&"chain-incomplete") && ids.contains(&"cert-untrusted"),
            "{ids:?}"
        );
    }
}
