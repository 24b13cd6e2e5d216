//! `chain-incomplete`: the chain verifies only with an intermediate the server did not send.

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
    vec![capped(
        finding(
            FindingId::ChainIncomplete,
            Severity::Medium,
            "The certificate chain is incomplete",
            format!("{detail}."),
            "Configure the server with the full chain: the leaf followed by every intermediate (e.g. nginx \
             ssl_certificate fullchain.pem).",
        ),
        Grade::B,
    )]
}

#[cfg(test)]
mod tests {
    use shared::TrustIssue;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn caps_at_b() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::IncompleteChain,
            message: "missing".into(),
        });
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::B));
    }
}
