//! `cert-expiring-soon`: the leaf expires in fewer than 30 days.

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-expiring-soon",
    run,
};

/// Fewer days than this left is a warning.
const WARN_DAYS: i64 = 30;

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(leaf) = obs.leaf() else {
        return Vec::new();
    };
    let days = leaf.summary.days_remaining;
    if obs.now > leaf.not_after || days >= WARN_DAYS {
        return Vec::new();
    }
    let when = match days {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        n => format!("in {n} days"),
    };
    // A warning: it keeps the server from A+ but does not lower the grade further.
    vec![capped(
        finding(
            FindingId::CertExpiringSoon,
            Severity::Medium,
            "The certificate expires soon",
            format!(
                "The certificate expires {when} ({}).",
                leaf.summary.not_after
            ),
            "Renew the certificate now; automate renewal (ACME) well ahead of expiry.",
        ),
        Grade::A,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::{cert, healthy};

    #[test]
    fn warns_under_thirty_days_only() {
        let mut obs = healthy();
        obs.certificates[0] = cert(30);
        assert!(run(&obs).is_empty());
        obs.certificates[0] = cert(29);
        let found = run(&obs);
        assert!(
            found[0].detail.contains("in 29 days"),
            "{}",
            found[0].detail
        );
        assert_eq!(found[0].grade_cap, Some(Grade::A));
        obs.certificates[0] = cert(-2);
        assert!(run(&obs).is_empty(), "expired is cert-expired's business");
    }
}
