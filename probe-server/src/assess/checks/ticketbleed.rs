//! `ticketbleed`: offered a session ticket with a 1-byte session id, the server echoes 32
//! bytes, leaking 31 bytes of its memory per handshake (CVE-2016-9244, F5 BIG-IP).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::{Observations, ProbeOutcome};

pub(super) const CHECK: Check = Check {
    name: "ticketbleed",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(ProbeOutcome::Vulnerable(detail)) = &obs.attacks.ticketbleed else {
        return Vec::new();
    };
    let mut f = capped(
        finding(
            FindingId::Ticketbleed,
            Severity::Critical,
            "Vulnerable to Ticketbleed",
            format!(
                "{detail} Anyone can read up to 31 bytes of the server's memory per handshake, which may hold \
                 other clients' session secrets (CVE-2016-9244)."
            ),
            "Update BIG-IP to a fixed release (K05121675) or disable session tickets on its Client SSL \
             profile.",
        ),
        Grade::F,
    );
    f.cve = vec!["CVE-2016-9244".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn follows_the_probe() {
        let mut obs = healthy();
        obs.attacks.ticketbleed = Some(ProbeOutcome::NotVulnerable("no".into()));
        assert!(run(&obs).is_empty());
        obs.attacks.ticketbleed = Some(ProbeOutcome::Vulnerable("32 bytes.".into()));
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::F));
    }
}
