//! `cert-not-yet-valid`: a certificate in the chain is not valid yet.

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::{Check, capped, finding, trust_issues};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-not-yet-valid",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(detail) = trust_issues(obs, TrustIssueKind::NotYetValid) else {
        return Vec::new();
    };
    vec![capped(
        finding(
            FindingId::CertNotYetValid,
            Severity::Critical,
            "The certificate is not valid yet",
            detail,
            "Check the server's clock and the certificate's notBefore date; install a certificate that is valid now.",
        ),
        Grade::T,
    )]
}

#[cfg(test)]
mod tests {
    use shared::TrustIssue;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn caps_at_t() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::NotYetValid,
            message: "not until tomorrow".into(),
        });
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::T));
    }
}
