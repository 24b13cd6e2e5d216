//! `cert-name-mismatch`: the certificate does not name the host.

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::{Check, capped, finding, trust_issues};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-name-mismatch",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(detail) = trust_issues(obs, TrustIssueKind::NameMismatch) else {
        return Vec::new();
    };
    vec![capped(
        finding(
            FindingId::CertNameMismatch,
            Severity::Critical,
            "The certificate is for a different name",
            format!("{detail}."),
            "Install a certificate whose subjectAltName lists this host name (or a wildcard covering it); if the \
             server hosts several sites, check that it selects the certificate by SNI.",
        ),
        Grade::M,
    )]
}

#[cfg(test)]
mod tests {
    use shared::TrustIssue;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn caps_at_m() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.trust.name_matches = false;
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::NameMismatch,
            message: "the certificate is for a.test, not for b.test".into(),
        });
        let found = run(&obs);
        assert_eq!(found[0].grade_cap, Some(Grade::M));
        assert_eq!(
            found[0].detail,
            "The certificate is for a.test, not for b.test."
        );
    }
}
