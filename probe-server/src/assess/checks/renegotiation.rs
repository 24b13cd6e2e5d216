//! `insecure-renegotiation`: renegotiation without RFC 5746 (CVE-2009-3555).
//!
//! The survey renegotiates inside a completed TLS 1.2 connection. A server that completes a
//! renegotiation without renegotiation_info lets an attacker splice their own request in
//! front of a victim's: exercised, that caps at F (the rating guide's "insecure
//! renegotiation"). A server without the extension that refuses client-initiated
//! renegotiation may still renegotiate on its own initiative (a client certificate for one
//! path), which no client can trigger: capped at B, the guide's "no RFC 5746". When no
//! TLS 1.2 handshake could be completed, the extension alone decides (B).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "insecure-renegotiation",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let exercised = obs
        .attacks
        .renegotiation
        .as_ref()
        .filter(|seen| !seen.extension && seen.accepted);
    let mut f = if let Some(seen) = exercised {
        capped(
            finding(
                FindingId::InsecureRenegotiation,
                Severity::Critical,
                "Insecure renegotiation",
                format!(
                    "{} An attacker in the middle can prefix a victim's connection with their own data \
                     (CVE-2009-3555).",
                    seen.detail
                ),
                "Update the TLS library (every maintained one supports RFC 5746) and disable client-initiated \
                 renegotiation.",
            ),
            Grade::F,
        )
    } else if obs.features.secure_renegotiation == Some(false) {
        let tried = match &obs.attacks.renegotiation {
            Some(seen) => format!(" {}", seen.detail),
            None => String::new(),
        };
        capped(
            finding(
                FindingId::InsecureRenegotiation,
                Severity::High,
                "No secure renegotiation",
                format!(
                    "The server does not support RFC 5746 secure renegotiation: if it renegotiates (a server may \
                     do so on its own, e.g. to ask for a client certificate), an attacker can prefix a victim's \
                     connection with their own data (CVE-2009-3555).{tried}"
                ),
                "Update the TLS library (every maintained one supports RFC 5746) or disable renegotiation.",
            ),
            Grade::B,
        )
    } else {
        return Vec::new();
    };
    f.cve = vec!["CVE-2009-3555".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;
    use crate::assess::observations::RenegotiationSeen;

    #[test]
    fn the_extension_alone_caps_at_b() {
        let mut obs = healthy();
        obs.features.secure_renegotiation = Some(true);
        assert!(run(&obs).is_empty());
        obs.features.secure_renegotiation = Some(false);
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::B));
    }

    #[test]
    fn an_exercised_insecure_renegotiation_caps_at_f() {
        let mut obs = healthy();
        obs.features.secure_renegotiation = Some(false);
        obs.attacks.renegotiation = Some(RenegotiationSeen {
            extension: false,
            accepted: false,
            detail: "refused".into(),
        });
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::B));
        obs.attacks.renegotiation = Some(RenegotiationSeen {
            extension: false,
            accepted: true,
            detail: "completed".into(),
        });
        let f = run(&obs);
        assert_eq!(f[0].grade_cap, Some(Grade::F));
        assert_eq!(f[0].severity, Severity::Critical);
        // Secure renegotiation completed: nothing here (client-renegotiation judges it).
        obs.features.secure_renegotiation = Some(true);
        obs.attacks.renegotiation = Some(RenegotiationSeen {
            extension: true,
            accepted: true,
            detail: "completed".into(),
        });
        assert!(run(&obs).is_empty());
    }
}
