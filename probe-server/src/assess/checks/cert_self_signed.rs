//! `cert-self-signed`: the leaf signs itself and no trusted root vouches for it.

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-self-signed",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    if !obs
        .trust
        .issues
        .iter()
        .any(|i| i.kind == TrustIssueKind::SelfSigned)
    {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::CertSelfSigned,
            Severity::Critical,
            "The certificate is self-signed",
            "The certificate vouches for itself; browsers show a full-page warning and an attacker could present \
             their own self-signed certificate just as well.",
            "Get a certificate from a public CA (Let's Encrypt is free and automated), or, for internal sites, \
             from your organisation's CA installed on its clients.",
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
            kind: TrustIssueKind::SelfSigned,
            message: String::new(),
        });
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::T));
    }
}
