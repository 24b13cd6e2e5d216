//! `no-server-cipher-preference`: the server lets the client pick the suite.

use shared::{Finding, FindingId, ProtocolVersion, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "server-preference",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    // TLS 1.3 suites are all strong: letting the client choose among them is fine (and what
    // servers usually do, to let clients without AES hardware pick ChaCha20).
    let client_chooses: Vec<&str> = obs
        .protocols
        .iter()
        .filter(|p| {
            p.version < ProtocolVersion::Tls13
                && p.server_preference == Some(false)
                && p.cipher_suites.len() > 1
        })
        .filter(|p| {
            p.cipher_suites
                .iter()
                .any(|s| s.strength >= shared::SuiteStrength::Weak)
        })
        .map(|p| p.version.display_name())
        .collect();
    if client_chooses.is_empty() {
        return Vec::new();
    }
    vec![finding(
        FindingId::NoServerCipherPreference,
        Severity::Low,
        "The client chooses the cipher suite",
        format!(
            "With {} the server takes the client's first choice, and it accepts weak suites: a client (or an \
             attacker shaping its offer) can end up with one of them.",
            client_chooses.join(", ")
        ),
        "Let the server choose (nginx: ssl_prefer_server_ciphers on; Apache: SSLHonorCipherOrder on), or remove \
         the weak suites.",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn matters_only_when_weak_suites_are_on_offer() {
        let mut obs = with_suites(ProtocolVersion::Tls12, &[0xc02f, 0x000a]);
        obs.protocols
            .iter_mut()
            .for_each(|p| p.server_preference = Some(false));
        assert_eq!(run(&obs).len(), 1);
        let mut obs = with_suites(ProtocolVersion::Tls12, &[0xc02f, 0xc030]);
        obs.protocols
            .iter_mut()
            .for_each(|p| p.server_preference = Some(false));
        assert!(run(&obs).is_empty());
    }
}
