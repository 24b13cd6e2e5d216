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
    /// Ticketbleed: a ticket offered with a 1-byte session id, answered with 32 bytes or not.
    pub ticketbleed: Option<ProbeOutcome>,
    /// A renegotiation asked for inside a completed TLS 1.2 connection.
    pub renegotiation: Option<RenegotiationSeen>,
    /// TLS 1.2 resumption and the Extended Master Secret, from completed handshakes.
    pub tls12_resumption: Option<ResumptionSeen>,
}

/// What a client-initiated renegotiation inside a completed TLS 1.2 connection showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenegotiationSeen {
    /// The initial ServerHello carried RFC 5746's renegotiation_info.
    pub extension: bool,
    /// The server completed the renegotiation (with both verify_data in renegotiation_info
    /// when `extension`, without any when not: insecure renegotiation, exercised).
    pub accepted: bool,
    /// What the server did, in words.
    pub detail: String,
}

/// What completed TLS 1.2 handshakes and their resumption showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResumptionSeen {
    /// The full handshake negotiated the Extended Master Secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Resumed by session id (abbreviated handshake, Finished checked); `None` when the
    /// server gave no session id.
    pub session_id: Option<bool>,
    /// Resumed by ticket; `None` when the server issued no ticket.
    pub ticket: Option<bool>,
    /// The ticket's lifetime hint in seconds.
    pub ticket_lifetime_hint: Option<u32>,
}
