//! `robot`: the server is a Bleichenbacher padding oracle in RSA key exchange (ROBOT,
//! CVE-2017-13099 and the vendor CVEs that followed it).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::{Observations, ProbeOutcome};

pub(super) const CHECK: Check = Check { name: "robot", run };

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(ProbeOutcome::Vulnerable(detail)) = &obs.attacks.robot else {
        return Vec::new();
    };
    // SSL Labs caps ROBOT at F: recorded RSA sessions can be decrypted, and the server's key
    // used to sign, without the key ever leaving the server.
    let mut f = capped(
        finding(
            FindingId::Robot,
            Severity::Critical,
            "Vulnerable to ROBOT",
            format!(
                "{detail} An attacker can decrypt recorded sessions that used RSA key exchange and sign messages \
                 with the server's key, by sending it many crafted handshakes (CVE-2017-13099)."
            ),
            "Update the TLS stack or load balancer firmware (the vendor advisories for ROBOT list fixed versions), \
             and turn off RSA key exchange (suites named TLS_RSA_WITH_*) in favour of ECDHE.",
        ),
        Grade::F,
    );
    f.cve = vec!["CVE-2017-13099".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn follows_the_probe() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.attacks.robot = Some(ProbeOutcome::NotVulnerable("alike".into()));
        assert!(run(&obs).is_empty());
        obs.attacks.robot = Some(ProbeOutcome::Inconclusive("lost".into()));
        assert!(run(&obs).is_empty());
        obs.attacks.robot = Some(ProbeOutcome::Vulnerable("It is a strong oracle.".into()));
        let findings = run(&obs);
        assert_eq!(findings[0].id, FindingId::Robot);
        assert_eq!(findings[0].grade_cap, Some(Grade::F));
        assert!(findings[0].detail.starts_with("It is a strong oracle."));
    }
}
