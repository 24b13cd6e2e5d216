//! What the attack probes saw, as the survey hands it on (the checks judge it).

/// What an active test for an attack saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The server behaved as a vulnerable one does; the detail says how.
    Vulnerable(String),
    /// The server behaved as a patched one does.
    NotVulnerable(String),
    /// The test ran but the answer does not decide (e.g. the feature is off, or silence).
    Inconclusive(String),
}

/// The active tests' outcomes; `None` when a test did not run (quick scan, or not
/// applicable: see the report's errors and vulnerabilities).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttackProbes {
    /// Heartbleed: a heartbeat request claiming more payload than it carries.
    pub heartbleed: Option<ProbeOutcome>,
    /// CCS injection: a ChangeCipherSpec before the key exchange.
    pub ccs_injection: Option<ProbeOutcome>,
    /// TLS_FALLBACK_SCSV: a hello for a lower version marked as a fallback.
    pub fallback_scsv: Option<ProbeOutcome>,
    /// ROBOT: RSA key exchanges with valid and invalid PKCS#1 padding, answered alike or not.
    pub robot: Option<ProbeOutcome>,
}
