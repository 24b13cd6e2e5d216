//! `cert-revoked`: the stapled OCSP response (signed by the issuer) says revoked.

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::{Check, capped, finding, trust_issues};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-revoked",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(detail) = trust_issues(obs, TrustIssueKind::Revoked) else {
        return Vec::new();
    };
    vec![capped(
        finding(
            FindingId::CertRevoked,
            Severity::Critical,
            "The certificate has been revoked",
            format!("{detail}."),
            "Its issuer withdrew the certificate (often because its key leaked): get and install a new certificate \
             with a new key, then find out why the old one was revoked.",
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
            kind: TrustIssueKind::Revoked,
            message: "revoked on X".into(),
        });
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::T));
    }
}
