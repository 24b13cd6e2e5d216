//! What the handshakes observed: the single input of every check. Handshakes gather,
//! checks judge, the rating combines: data flows one way.

use shared::{Connection, HttpInfo, ProtocolSupport, ProtocolVersion, ScanMode, TargetInfo, Trust};
use time::OffsetDateTime;

use crate::certificate::CertificateInfo;

/// Everything the scan saw, before any judgement.
#[derive(Debug, Clone)]
pub struct Observations {
    /// The moment the scan judged time-dependent things against.
    pub now: OffsetDateTime,
    pub mode: ScanMode,
    pub target: TargetInfo,
    /// The chain as the server sent it, leaf first, parsed.
    pub certificates: Vec<CertificateInfo>,
    pub trust: Trust,
    /// What the verified (modern client) handshake negotiated.
    pub connection: Option<Connection>,
    /// Protocol support as far as it was tested, oldest first.
    pub protocols: Vec<ProtocolSupport>,
    /// The HTTP checks' results; `None` when they could not run (see the report's errors).
    pub http: Option<HttpInfo>,
}

impl Observations {
    /// The leaf certificate, if the server sent one.
    pub fn leaf(&self) -> Option<&CertificateInfo> {
        self.certificates.first()
    }

    /// Whether `version` is supported: `None` when not tested.
    pub fn supports(&self, version: ProtocolVersion) -> Option<bool> {
        self.protocols
            .iter()
            .find(|p| p.version == version)
            .and_then(|p| p.supported)
    }
}
