//! `simulation-browser-fails`: a current browser cannot connect (handshake simulation).

use shared::{Finding, FindingId, Severity, SimulationOutcome};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "simulation-browser-fails",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let failing: Vec<String> = obs
        .simulations
        .iter()
        .filter(|s| s.current)
        .filter_map(|s| match &s.outcome {
            SimulationOutcome::Failed { reason, detail } => Some(format!(
                "{} {} ({}): {} — {detail}",
                s.client,
                s.version,
                s.platform,
                reason.describe()
            )),
            SimulationOutcome::Connected { .. } => None,
        })
        .collect();
    if failing.is_empty() {
        return Vec::new();
    }
    vec![finding(
        FindingId::SimulationBrowserFails,
        Severity::High,
        "A current browser cannot connect",
        format!("Handshake simulation: {}.", failing.join("; ")),
        "Serve TLS 1.2 and TLS 1.3 with ECDHE and AEAD suites (AES-GCM, ChaCha20-Poly1305), groups \
         x25519 and secp256r1, and an RSA-2048+ or ECDSA P-256 certificate.",
    )]
}

#[cfg(test)]
pub(super) mod tests {
    use shared::{HandshakeSimulation, ProtocolVersion, SimulationFailure, SimulationOutcome};

    use super::*;
    use crate::assess::checks::testing::{healthy, ids};

    pub(crate) fn simulation(current: bool, outcome: SimulationOutcome) -> HandshakeSimulation {
        HandshakeSimulation {
            client: "Chrome".into(),
            version: "137".into(),
            platform: "Windows 11".into(),
            current,
            outcome,
            confirmed: true,
            predicted: None,
        }
    }

    pub(crate) fn connected(suite: &str, fs: bool, aead: bool) -> SimulationOutcome {
        SimulationOutcome::Connected {
            protocol: ProtocolVersion::Tls12,
            cipher_suite: suite.into(),
            group: None,
            forward_secrecy: fs,
            aead,
        }
    }

    #[test]
    fn only_failing_current_browsers_count() {
        let failed = SimulationOutcome::Failed {
            reason: SimulationFailure::NoCommonVersion,
            detail: "the client offers TLS 1.2 to TLS 1.3; the server accepts TLS 1.0".into(),
        };
        let mut obs = healthy();
        obs.simulations = vec![
            simulation(false, failed.clone()),
            simulation(true, connected("TLS_AES_128_GCM_SHA256", true, true)),
        ];
        assert!(run(&obs).is_empty(), "an old client failing is no finding");
        obs.simulations.push(simulation(true, failed));
        let findings = run(&obs);
        assert_eq!(ids(&findings), ["simulation-browser-fails"]);
        assert!(
            findings[0].detail.contains("Chrome 137"),
            "{}",
            findings[0].detail
        );
        assert!(findings[0].detail.contains("no common protocol version"));
    }
}
