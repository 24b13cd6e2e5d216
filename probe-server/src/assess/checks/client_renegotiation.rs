//! `client-renegotiation`: the server completes renegotiations the client asks for.
//!
//! Secure (RFC 5746) or not, each renegotiation makes the server do a full handshake's
//! private-key operation for a few bytes from the client, on a connection it already
//! accepted: a cheap denial-of-service lever (thc-ssl-dos). testssl.sh reports it as a
//! medium-severity DoS threat; SSL Labs lists it without grading it. Insecure renegotiation
//! is judged by `insecure-renegotiation`, not again here.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "client-renegotiation",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    match &obs.attacks.renegotiation {
        Some(seen) if seen.accepted && seen.extension => vec![finding(
            FindingId::ClientRenegotiation,
            Severity::Medium,
            "Client-initiated renegotiation accepted",
            format!(
                "{} Each renegotiation costs the server a full handshake for a few bytes from the client: a \
                 cheap denial-of-service lever.",
                seen.detail
            ),
            "Disable client-initiated renegotiation (OpenSSL 3 refuses it unless \
             SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set; GnuTLS: %DISABLE_SAFE_RENEGOTIATION is not the fix, \
             refuse rehandshakes in the application; nginx and recent Apache refuse it by default).",
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;
    use crate::assess::observations::RenegotiationSeen;

    #[test]
    fn only_an_accepted_secure_renegotiation() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        for (extension, accepted, found) in [
            (true, true, true),
            (true, false, false),
            (false, true, false),
        ] {
            obs.attacks.renegotiation = Some(RenegotiationSeen {
                extension,
                accepted,
                detail: "d".into(),
            });
            assert_eq!(
                run(&obs).len(),
                usize::from(found),
                "{extension} {accepted}"
            );
        }
    }
}
