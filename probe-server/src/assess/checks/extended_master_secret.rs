//! `no-extended-master-secret`: a completed TLS 1.2 handshake did not negotiate RFC 7627.
//!
//! Without it, the master secret is not bound to the handshake that made it: a server in the
//! middle can give two connections the same secret (the triple handshake attack), which
//! breaks resumption and renegotiation authentication. testssl.sh flags it; every maintained
//! TLS library has it on by default.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "no-extended-master-secret",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    match &obs.attacks.tls12_resumption {
        Some(seen) if !seen.extended_master_secret => vec![finding(
            FindingId::NoExtendedMasterSecret,
            Severity::Low,
            "No Extended Master Secret",
            "A completed TLS 1.2 handshake that offered the Extended Master Secret (RFC 7627) did not get it: \
             the session's secret is not bound to its handshake (triple handshake attack).",
            "Update the TLS library or enable the extension (on by default in OpenSSL 1.1.0+, GnuTLS 3.4+, \
             NSS, BoringSSL, rustls, Schannel).",
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;
    use crate::assess::observations::ResumptionSeen;

    #[test]
    fn follows_the_handshake() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.attacks.tls12_resumption = Some(ResumptionSeen {
            extended_master_secret: true,
            ..ResumptionSeen::default()
        });
        assert!(run(&obs).is_empty());
        obs.attacks.tls12_resumption = Some(ResumptionSeen::default());
        assert_eq!(run(&obs)[0].id, FindingId::NoExtendedMasterSecret);
    }
}
