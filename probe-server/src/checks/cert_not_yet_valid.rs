//! `cert-not-yet-valid`: a certificate in the chain is not valid yet.

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::cert_expired::capitalise;
use super::{Check, capped, finding};
use crate::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-not-yet-valid",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let early: Vec<&str> = obs
        .trust
        .issues
        .iter()
        .filter(|i| i.kind == TrustIssueKind::NotYetValid)
        .map(|i| i.message.as_str())
        .collect();
    if early.is_empty() {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::CertNotYetValid,
            Severity::Critical,
            "The certificate is not valid yet",
            capitalise(&early.join("; ")),
            "Check the server's clock and the certificate's notBefore date; install a certificate that is valid now.",
        ),
        Grade::T,
    )]
}

#[cfg(test)]
mod tests {
    use shared::TrustIssue;

    use super::*;
    use crate::checks::testing::healthy;

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
