//! `chain-validity-disjoint`: the validity periods of the chain's certificates never overlap,
//! so there was never a moment when the whole chain was valid.
//!
//! It caps nothing on its own: such a chain always holds a certificate that is expired or not
//! yet valid now, and that finding (`cert-expired`, `cert-not-yet-valid`) carries the grade.
//! This one explains why no date on the server will ever make the chain work as served.

use shared::{Finding, FindingId, Severity, TrustIssueKind};

use super::{Check, finding, trust_issues};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "chain-validity-disjoint",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(detail) = trust_issues(obs, TrustIssueKind::ValidityDisjoint) else {
        return Vec::new();
    };
    vec![finding(
        FindingId::ChainValidityDisjoint,
        Severity::Info,
        "The chain's certificates were never valid at the same time",
        format!("{detail}."),
        "Serve certificates from the same issuance: renew the leaf from the current intermediate and install \
         the leaf with the intermediate your CA issued it under.",
    )]
}

#[cfg(test)]
mod tests {
    use shared::TrustIssue;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn informs_without_a_cap() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::ValidityDisjoint,
            message: "the chain's validity periods never overlap".into(),
        });
        let found = run(&obs);
        assert_eq!(found[0].severity, Severity::Info);
        assert_eq!(found[0].grade_cap, None);
    }
}
