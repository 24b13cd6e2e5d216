//! `insecure-renegotiation`: no RFC 5746 secure renegotiation (CVE-2009-3555).
//!
//! Without the renegotiation_info extension, a server that renegotiates lets an attacker
//! splice their own request in front of a victim's. Whether this server renegotiates at all
//! cannot be seen without completing a handshake, so the cap is B (the extension missing),
//! not F (renegotiation shown to be exploitable).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "insecure-renegotiation",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    if obs.features.secure_renegotiation != Some(false) {
        return Vec::new();
    }
    let mut f = capped(
        finding(
            FindingId::InsecureRenegotiation,
            Severity::High,
            "No secure renegotiation",
            "The server does not support RFC 5746 secure renegotiation: if it renegotiates, an attacker can \
             prefix a victim's connection with their own data (CVE-2009-3555).",
            "Update the TLS library (every maintained one supports RFC 5746) or disable renegotiation.",
        ),
        Grade::B,
    );
    f.cve = vec!["CVE-2009-3555".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn follows_the_feature() {
        let mut obs = healthy();
        obs.features.secure_renegotiation = Some(true);
        assert!(run(&obs).is_empty());
        obs.features.secure_renegotiation = Some(false);
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::B));
    }
}
