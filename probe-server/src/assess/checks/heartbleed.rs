//! `heartbleed`: the server answers a heartbeat that claims more payload than it carries with
//! its own memory (CVE-2014-0160).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::{Observations, ProbeOutcome};

pub(super) const CHECK: Check = Check {
    name: "heartbleed",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(ProbeOutcome::Vulnerable(detail)) = &obs.attacks.heartbleed else {
        return Vec::new();
    };
    let mut f = capped(
        finding(
            FindingId::Heartbleed,
            Severity::Critical,
            "Vulnerable to Heartbleed",
            format!(
                "{detail} Anyone can read the server's memory, including private keys, passwords and cookies \
                 (CVE-2014-0160)."
            ),
            "Update OpenSSL (1.0.1g or later) and restart the server; then replace the private key, reissue the \
             certificate and revoke the old one, since it may have leaked.",
        ),
        Grade::F,
    );
    f.cve = vec!["CVE-2014-0160".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn follows_the_probe() {
        let mut obs = healthy();
        obs.attacks.heartbleed = Some(ProbeOutcome::NotVulnerable("no".into()));
        assert!(run(&obs).is_empty());
        obs.attacks.heartbleed = Some(ProbeOutcome::Vulnerable("It returned 16384 bytes.".into()));
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::F));
    }
}
