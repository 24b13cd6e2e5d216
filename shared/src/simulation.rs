//! Handshake simulation: how real clients (browsers, libraries, old devices) would fare
//! with the server, after SSL Labs' table of the same name.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ProtocolVersion;

/// One client's simulated handshake with the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HandshakeSimulation {
    /// The client's name ("Chrome", "Java", "OpenSSL").
    pub client: String,
    /// The client's version ("137", "8u442", "3.0.22").
    pub version: String,
    /// Where it runs ("Windows 11", "iOS 26.4", "Debian 12 s_client").
    pub platform: String,
    /// A browser in use today: a server it cannot reach, or reaches without forward secrecy
    /// or AEAD, gets a finding.
    pub current: bool,
    pub outcome: SimulationOutcome,
    /// True when a real handshake with the hello of a client of the same predicted outcome
    /// agreed with the prediction. False when it was not tried (the scan sends a handful of
    /// such handshakes, one per distinct outcome), or when it disagreed (see `predicted`).
    pub confirmed: bool,
    /// What the prediction from the survey said, when a real handshake said otherwise (the
    /// real handshake wins: `outcome` is what it showed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted: Option<SimulationOutcome>,
}

/// What a client ends up with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SimulationOutcome {
    /// The handshake completes.
    Connected {
        protocol: ProtocolVersion,
        /// IANA name of the suite.
        cipher_suite: String,
        /// The key exchange: the group ("x25519", "X25519MLKEM768", "secp256r1"), or the
        /// size of a finite-field DH group ("DH 2048"); null for RSA key transport.
        group: Option<String>,
        forward_secrecy: bool,
        aead: bool,
    },
    /// The handshake fails.
    Failed {
        reason: SimulationFailure,
        /// What exactly does not fit, in plain words.
        detail: String,
    },
}

impl SimulationOutcome {
    /// True when the handshake completes.
    pub const fn connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }
}

/// Why a client cannot connect.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SimulationFailure {
    /// No protocol version both accept.
    NoCommonVersion,
    /// No cipher suite both accept in the version they share.
    NoCommonSuite,
    /// No key-exchange group both accept (TLS 1.3).
    NoCommonGroup,
    /// The server's Diffie-Hellman group is smaller than the client accepts.
    DhTooSmall,
    /// The server's Diffie-Hellman group is larger than the client can handle.
    DhTooLarge,
    /// The certificate's RSA key is smaller than the client accepts.
    RsaKeyTooSmall,
    /// The certificate's RSA key is larger than the client can handle.
    RsaKeyTooLarge,
    /// The certificate's EC key is smaller than the client accepts.
    EcdsaKeyTooSmall,
    /// The client cannot verify a signature with the certificate's key type.
    CertificateTypeUnsupported,
    /// The certificate is signed with SHA-1, which the client refuses.
    WeakCertificateSignature,
    /// The server refused the client's real hello, for a reason the survey does not show
    /// (see `detail`).
    Refused,
}

impl SimulationFailure {
    /// The name used in the report ("no_common_version", ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoCommonVersion => "no_common_version",
            Self::NoCommonSuite => "no_common_suite",
            Self::NoCommonGroup => "no_common_group",
            Self::DhTooSmall => "dh_too_small",
            Self::DhTooLarge => "dh_too_large",
            Self::RsaKeyTooSmall => "rsa_key_too_small",
            Self::RsaKeyTooLarge => "rsa_key_too_large",
            Self::EcdsaKeyTooSmall => "ecdsa_key_too_small",
            Self::CertificateTypeUnsupported => "certificate_type_unsupported",
            Self::WeakCertificateSignature => "weak_certificate_signature",
            Self::Refused => "refused",
        }
    }

    /// Every reason, for decoders.
    pub const ALL: [Self; 11] = [
        Self::NoCommonVersion,
        Self::NoCommonSuite,
        Self::NoCommonGroup,
        Self::DhTooSmall,
        Self::DhTooLarge,
        Self::RsaKeyTooSmall,
        Self::RsaKeyTooLarge,
        Self::EcdsaKeyTooSmall,
        Self::CertificateTypeUnsupported,
        Self::WeakCertificateSignature,
        Self::Refused,
    ];

    /// The reason for this name, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Short words for tables ("no common version").
    pub const fn describe(self) -> &'static str {
        match self {
            Self::NoCommonVersion => "no common protocol version",
            Self::NoCommonSuite => "no common cipher suite",
            Self::NoCommonGroup => "no common key-exchange group",
            Self::DhTooSmall => "DH group too small",
            Self::DhTooLarge => "DH group too large",
            Self::RsaKeyTooSmall => "RSA key too small",
            Self::RsaKeyTooLarge => "RSA key too large",
            Self::EcdsaKeyTooSmall => "EC key too small",
            Self::CertificateTypeUnsupported => "certificate type unsupported",
            Self::WeakCertificateSignature => "SHA-1 certificate refused",
            Self::Refused => "refused by the server",
        }
    }
}
