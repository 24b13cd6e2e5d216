//! `must-staple-without-staple`: the leaf carries OCSP Must-Staple (RFC 7633) but the
//! server staples no OCSP response, so clients that honour the extension (Firefox) refuse
//! the site.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "must-staple-without-staple",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    if !obs.policy.must_staple {
        return Vec::new();
    }
    // A staple seen by either client (the verified handshake or a raw hello) is enough.
    let stapled = obs.connection.as_ref().map(|c| c.ocsp_stapled);
    let stapled = match (stapled, obs.features.ocsp_stapling) {
        (None, None) => return Vec::new(),
        (a, b) => a.unwrap_or(false) || b.unwrap_or(false),
    };
    if stapled {
        return Vec::new();
    }
    vec![finding(
        FindingId::MustStapleWithoutStaple,
        Severity::High,
        "Must-Staple certificate served without a staple",
        "The leaf certificate carries the TLS Feature extension with status_request (OCSP \
         Must-Staple), but the server sent no OCSP response in the handshake: Firefox refuses \
         the connection (MOZILLA_PKIX_ERROR_REQUIRED_TLS_FEATURE_MISSING).",
        "Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on; make sure the \
         server can reach the CA's responder), or get a certificate without Must-Staple.",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn flags_a_must_staple_leaf_only_when_nothing_is_stapled() {
        let mut obs = healthy();
        obs.policy.must_staple = true;
        assert!(run(&obs).is_empty(), "the verified handshake got a staple");
        obs.connection.as_mut().unwrap().ocsp_stapled = false;
        let found = run(&obs);
        assert_eq!(found[0].id, FindingId::MustStapleWithoutStaple);
        assert_eq!(found[0].severity, Severity::High);
        obs.features.ocsp_stapling = Some(true);
        assert!(run(&obs).is_empty(), "a raw hello got a staple");
        obs.policy.must_staple = false;
        obs.features.ocsp_stapling = Some(false);
        assert!(run(&obs).is_empty());
    }
}
