//! `cert-untrusted`: the chain does not lead to a trusted root, or a signature in it is bad
//! or unacceptable. (Self-signed, expired, revoked and misnamed certificates have their own
//! findings.)

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::cert_expired::capitalise;
use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-untrusted",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let reasons: Vec<String> = obs
        .trust
        .issues
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                TrustIssueKind::UnknownIssuer
                    | TrustIssueKind::BadSignature
                    | TrustIssueKind::InvalidPurpose
                    | TrustIssueKind::Unsupported
                    | TrustIssueKind::NoCertificate
                    | TrustIssueKind::Other
            )
        })
        .map(|i| capitalise(&i.message))
        .collect();
    if reasons.is_empty() {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::CertUntrusted,
            Severity::Critical,
            "The certificate is not trusted",
            reasons.join(". "),
            "Serve a certificate from a CA that browsers trust, together with every intermediate certificate \
             between it and the root (the 'full chain' file your CA or ACME client provides).",
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
    fn collects_every_chain_failure() {
        let mut obs = healthy();
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::SelfSigned,
            message: "self".into(),
        });
        assert!(run(&obs).is_empty(), "self-signed has its own finding");
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::UnknownIssuer,
            message: "unknown issuer".into(),
        });
        obs.trust.issues.push(TrustIssue {
            kind: TrustIssueKind::BadSignature,
            message: "sha-1".into(),
        });
        let found = run(&obs);
        assert_eq!(found[0].detail, "Unknown issuer. Sha-1");
        assert_eq!(found[0].grade_cap, Some(Grade::T));
    }
}
