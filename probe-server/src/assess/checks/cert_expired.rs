//! `cert-expired`: a certificate in the chain is past its notAfter.

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::{Check, capped, finding, trust_issues};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-expired",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(detail) = trust_issues(obs, TrustIssueKind::Expired) else {
        return Vec::new();
    };
    vec![capped(
        finding(
            FindingId::CertExpired,
            Severity::Critical,
            "The certificate has expired",
            detail,
            "Renew the certificate and install the new one with its intermediates; automate renewal (ACME) so it \
             cannot lapse again.",
        ),
        Grade::T,
    )]
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use shared::TrustIssue;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn reports_every_expired_certificate_and_caps_at_t() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::Expired,
            message: "the certificate expired on X (3 days ago)".into(),
        });
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].grade_cap, Some(Grade::T));
        assert_eq!(found[0].detail, "The certificate expired on X (3 days ago)");
    }
}
