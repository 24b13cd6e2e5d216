//! `simulation-browser-no-forward-secrecy`: a current browser connects with a suite without
//! forward secrecy (handshake simulation).

use shared::{Finding, FindingId, Severity};

use super::{Check, current_browsers_connecting, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "simulation-browser-no-forward-secrecy",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let affected = current_browsers_connecting(obs, |forward_secrecy, _| !forward_secrecy);
    if affected.is_empty() {
        return Vec::new();
    }
    vec![finding(
        FindingId::SimulationBrowserNoForwardSecrecy,
        Severity::Medium,
        "A current browser connects without forward secrecy",
        format!(
            "Handshake simulation: {}. A stolen server key decrypts these recorded sessions.",
            affected.join("; ")
        ),
        "Enable ECDHE suites and prefer them to RSA key exchange (or enable TLS 1.3).",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::simulation_browser_fails::tests::{connected, simulation};
    use crate::assess::checks::testing::{healthy, ids};

    #[test]
    fn names_browsers_on_rsa_key_exchange() {
        let mut obs = healthy();
        obs.simulations = vec![
            simulation(
                false,
                connected("TLS_RSA_WITH_AES_128_CBC_SHA", false, false),
            ),
            simulation(
                true,
                connected("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", true, true),
            ),
        ];
        assert!(run(&obs).is_empty());
        obs.simulations.push(simulation(
            true,
            connected("TLS_RSA_WITH_AES_128_GCM_SHA256", false, true),
        ));
        let findings = run(&obs);
        assert_eq!(ids(&findings), ["simulation-browser-no-forward-secrecy"]);
        assert!(
            findings[0]
                .detail
                .contains("TLS_RSA_WITH_AES_128_GCM_SHA256")
        );
    }
}
