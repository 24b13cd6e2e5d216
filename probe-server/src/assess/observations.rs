//! What the handshakes observed: the single input of every check. Handshakes gather,
//! checks judge, the rating combines: data flows one way.

use shared::{
    CipherSuite, Connection, Features, HandshakeSimulation, HttpInfo, KeyExchange, ProtocolSupport,
    ProtocolVersion, ScanMode, TargetInfo, Trust,
};
use time::OffsetDateTime;

use crate::pki::OtherChain;
use crate::pki::certificate::CertificateInfo;
/// The attack probes' outcomes are the survey's; the checks read them from here.
pub(crate) use crate::survey::outcome::{AttackProbes, ProbeOutcome};
#[cfg(test)]
pub(crate) use crate::survey::outcome::{RenegotiationSeen, ResumptionSeen};

/// Everything the scan saw, before any judgement.
#[derive(Debug, Clone)]
pub(crate) struct Observations {
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
    /// Groups, DH sizes and signature algorithms (full scan).
    pub key_exchange: KeyExchange,
    /// Protocol features (full scan, some from the verified handshake).
    pub features: Features,
    /// The outcomes of the active attack tests (full scan).
    pub attacks: AttackProbes,
    /// How real clients would fare: the handshake simulation (full scan; empty otherwise).
    pub simulations: Vec<HandshakeSimulation>,
    /// CAA and HTTPS records, the HSTS preload list, Must-Staple (CAA judged against the
    /// leaf's issuer already).
    pub policy: shared::Policy,
    /// Certificate Transparency: the leaf's SCTs, verified, and the CT policies.
    pub ct: Option<shared::CertificateTransparency>,
    /// The chains the server serves besides `certificates` (to clients that cannot verify
    /// its key type), each judged; the `served-chains` check judges them as the first.
    pub other_chains: Vec<OtherChain>,
}

impl Observations {
    /// The leaf certificate, if the server sent one.
    pub(crate) fn leaf(&self) -> Option<&CertificateInfo> {
        self.certificates.first()
    }

    /// Whether `version` is supported: `None` when not tested.
    pub(crate) fn supports(&self, version: ProtocolVersion) -> Option<bool> {
        self.protocols
            .iter()
            .find(|p| p.version == version)
            .and_then(|p| p.supported)
    }

    /// The versions known to be supported, oldest first.
    pub(crate) fn supported_versions(&self) -> impl Iterator<Item = ProtocolVersion> + '_ {
        self.protocols
            .iter()
            .filter(|p| p.supported == Some(true))
            .map(|p| p.version)
    }

    /// Every accepted suite with the version it was accepted with.
    pub(crate) fn accepted_suites(
        &self,
    ) -> impl Iterator<Item = (ProtocolVersion, &CipherSuite)> + '_ {
        self.protocols
            .iter()
            .flat_map(|p| p.cipher_suites.iter().map(move |s| (p.version, s)))
    }

    /// True when the suites were enumerated (a full scan reached the server with a raw hello).
    pub(crate) fn suites_enumerated(&self) -> bool {
        self.mode == ScanMode::Full
            && self
                .protocols
                .iter()
                .any(|p| p.version != ProtocolVersion::Ssl2 && p.supported.is_some())
    }
}
