//! `no-fallback-scsv`: the server accepts a hello marked as a downgraded retry (RFC 7507).
//!
//! It caps nothing: SSL Labs' guide 2009r (16 May 2025) dropped TLS_FALLBACK_SCSV from
//! grading, since browsers no longer fall back to older versions. The finding stays, because
//! it is true and non-browser clients that retry with older versions still rely on it.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::{Observations, ProbeOutcome};

pub(super) const CHECK: Check = Check {
    name: "fallback-scsv",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(ProbeOutcome::Vulnerable(detail)) = &obs.attacks.fallback_scsv else {
        return Vec::new();
    };
    vec![finding(
        FindingId::NoFallbackScsv,
        Severity::Medium,
        "No downgrade protection",
        format!(
            "{detail} An attacker who breaks a client's first connection can push it to an older protocol."
        ),
        "Update the TLS library (OpenSSL 1.0.1j and later honour TLS_FALLBACK_SCSV; TLS 1.3 stacks set the RFC 8446 downgrade sentinel). Disabling old protocol \
             versions removes the risk too.",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn follows_the_probe() {
        let mut obs = healthy();
        obs.attacks.fallback_scsv = Some(ProbeOutcome::NotVulnerable("refused".into()));
        assert!(run(&obs).is_empty());
        obs.attacks.fallback_scsv = Some(ProbeOutcome::Vulnerable(
            "It accepted TLS 1.1 with the SCSV.".into(),
        ));
        let found = run(&obs);
        assert_eq!(found[0].id, FindingId::NoFallbackScsv);
        assert_eq!(found[0].grade_cap, None, "2009r: no longer graded");
    }
}
