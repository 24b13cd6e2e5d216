//! `simulation-browser-no-aead`: a current browser connects with a suite without AEAD
//! (handshake simulation).

use shared::{Finding, FindingId, Severity};

use super::{Check, current_browsers_connecting, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "simulation-browser-no-aead",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let affected = current_browsers_connecting(obs, |_, aead| !aead);
    if affected.is_empty() {
        return Vec::new();
    }
    vec![finding(
        FindingId::SimulationBrowserNoAead,
        Severity::Low,
        "A current browser connects without AEAD",
        format!(
            "Handshake simulation: {}. CBC suites are open to padding-oracle attacks such as \
             Lucky Thirteen.",
            affected.join("; ")
        ),
        "Enable AES-GCM or ChaCha20-Poly1305 suites and prefer them to CBC ones (or enable TLS 1.3).",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::simulation_browser_fails::tests::{connected, simulation};
    use crate::assess::checks::testing::{healthy, ids};

    #[test]
    fn names_browsers_on_cbc() {
        let mut obs = healthy();
        obs.simulations = vec![simulation(
            true,
            connected("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", true, true),
        )];
        assert!(run(&obs).is_empty());
        obs.simulations.push(simulation(
            true,
            connected("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", true, false),
        ));
        let findings = run(&obs);
        assert_eq!(ids(&findings), ["simulation-browser-no-aead"]);
    }
}
