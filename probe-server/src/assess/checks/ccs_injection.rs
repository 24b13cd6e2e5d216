//! `ccs-injection`: the server accepts a ChangeCipherSpec before the keys exist, letting an
//! attacker force weak keys (CVE-2014-0224).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::{Observations, ProbeOutcome};

pub(super) const CHECK: Check = Check {
    name: "ccs-injection",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(ProbeOutcome::Vulnerable(detail)) = &obs.attacks.ccs_injection else {
        return Vec::new();
    };
    let mut f = capped(
        finding(
            FindingId::CcsInjection,
            Severity::Critical,
            "Vulnerable to CCS injection",
            format!(
                "{detail} A man in the middle can make both sides use keys derived from an empty secret and read \
                 or change the traffic (CVE-2014-0224)."
            ),
            "Update OpenSSL (0.9.8za, 1.0.0m, 1.0.1h or later) and restart the server.",
        ),
        Grade::F,
    );
    f.cve = vec!["CVE-2014-0224".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn follows_the_probe() {
        let mut obs = healthy();
        obs.attacks.ccs_injection = Some(ProbeOutcome::Inconclusive("silence".into()));
        assert!(run(&obs).is_empty());
        obs.attacks.ccs_injection =
            Some(ProbeOutcome::Vulnerable("It accepted an early CCS.".into()));
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::F));
    }
}
