use std::borrow::Cow;

use schemars::{JsonSchema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Grade;

/// How much a finding matters to someone relying on the site.
///
/// `Ord` runs from most to least severe, so sorting findings puts critical ones first.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Broken: an attacker can read or change traffic, or browsers refuse the site.
    Critical,
    /// Seriously weak; fix now.
    High,
    /// Weak; fix soon.
    Medium,
    /// Not best practice.
    Low,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Self; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Info,
    ];

    /// The name used in the report ("critical", ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }
}

/// One thing the scan found, with what it means and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable, kebab-case identifier: part of the API.
    pub id: FindingId,
    pub severity: Severity,
    /// One line, in plain words.
    pub title: String,
    /// What exactly was observed.
    pub detail: String,
    /// How to fix it.
    pub fix: String,
    /// The worst grade a server with this finding can get, if the finding caps the grade.
    pub grade_cap: Option<Grade>,
    /// CVE identifiers, for known attacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cve: Vec<String>,
}

macro_rules! finding_ids {
    ($( $(#[doc = $doc:literal])* $variant:ident = $id:literal, )+) => {
        /// The stable identifier of a finding. Every id is kebab-case and part of the public API:
        /// ids are added, never renamed or reused.
        ///
        /// Ids this version does not know (from a newer probe) deserialise as
        /// [`FindingId::Other`] so that an older reader still shows the finding.
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum FindingId {
            $( $(#[doc = $doc])* $variant, )+
            /// An id this version of the crate does not know.
            Other(String),
        }

        impl FindingId {
            /// Every id this version knows.
            pub const KNOWN: &'static [FindingId] = &[$(Self::$variant),+];

            /// The id as it appears in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $id, )+
                    Self::Other(id) => id,
                }
            }

            /// The id for this string; unknown strings become [`FindingId::Other`].
            pub fn parse(id: &str) -> Self {
                match id {
                    $( $id => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

finding_ids! {
    // Certificate and trust.
    /// The leaf (or a chain) certificate's notAfter is in the past.
    CertExpired = "cert-expired",
    /// A certificate's notBefore is in the future.
    CertNotYetValid = "cert-not-yet-valid",
    /// The leaf certificate expires in fewer than 30 days.
    CertExpiringSoon = "cert-expiring-soon",
    /// The leaf certificate is self-signed.
    CertSelfSigned = "cert-self-signed",
    /// The chain does not lead to a trusted root.
    CertUntrusted = "cert-untrusted",
    /// The certificate does not name the host.
    CertNameMismatch = "cert-name-mismatch",
    /// The server does not send the intermediates a client needs.
    ChainIncomplete = "chain-incomplete",
    /// The chain's validity periods never overlap: it was never valid as a whole.
    ChainValidityDisjoint = "chain-validity-disjoint",
    /// The Certificate message is larger than common clients accept (rustls 64 KiB, OpenSSL
    /// 100 KB).
    CertMessageTooLarge = "cert-message-too-large",
    /// RSA key under 2048 bits or EC key under 256 bits.
    CertWeakKey = "cert-weak-key",
    /// A certificate is signed with SHA-1 or MD5.
    CertWeakSignature = "cert-weak-signature",
    /// The stapled OCSP response says the certificate is revoked.
    CertRevoked = "cert-revoked",
    /// The server staples no OCSP response.
    NoOcspStapling = "no-ocsp-stapling",
    /// The leaf demands OCSP stapling (Must-Staple) but the server staples nothing.
    MustStapleWithoutStaple = "must-staple-without-staple",
    /// The name's CAA records do not allow the CA that issued the leaf.
    CaaIssuerNotAllowed = "caa-issuer-not-allowed",
    /// Neither the name nor any parent publishes CAA records.
    NoCaa = "no-caa",
    // HTTP.
    /// No Strict-Transport-Security header.
    NoHsts = "no-hsts",
    /// HSTS max-age below 180 days.
    HstsShort = "hsts-short",
    /// Plain HTTP on port 80 answers without redirecting to HTTPS.
    NoHttpsRedirect = "no-https-redirect",
    // Protocols.
    /// SSL 2.0 is accepted.
    ProtocolSslv2 = "protocol-sslv2",
    /// SSL 3.0 is accepted.
    ProtocolSslv3 = "protocol-sslv3",
    /// TLS 1.0 is accepted.
    ProtocolTls10 = "protocol-tls10",
    /// TLS 1.1 is accepted.
    ProtocolTls11 = "protocol-tls11",
    /// TLS 1.2 is not supported.
    NoTls12 = "no-tls12",
    /// TLS 1.3 is not supported.
    NoTls13 = "no-tls13",
    // Cipher suites and key exchange.
    /// A NULL (unencrypted) suite is accepted.
    CipherNull = "cipher-null",
    /// An anonymous (unauthenticated) suite is accepted.
    CipherAnon = "cipher-anon",
    /// An export-grade suite is accepted.
    CipherExport = "cipher-export",
    /// An RC4 suite is accepted.
    CipherRc4 = "cipher-rc4",
    /// A 3DES suite is accepted.
    Cipher3des = "cipher-3des",
    /// A single-DES suite is accepted.
    CipherDes = "cipher-des",
    /// A CBC-mode suite is accepted (TLS 1.2 and older).
    CipherCbc = "cipher-cbc",
    /// A suite with RSA key transport (no forward secrecy) is accepted.
    RsaKeyExchange = "rsa-key-exchange",
    /// No accepted suite has forward secrecy, or the preferred one does not.
    NoForwardSecrecy = "no-forward-secrecy",
    /// No AEAD suite is accepted.
    NoAead = "no-aead",
    /// The server does not choose the suite itself.
    NoServerCipherPreference = "no-server-cipher-preference",
    /// Diffie-Hellman parameters under 2048 bits.
    WeakDh = "weak-dh",
    /// A Diffie-Hellman modulus the server sends is not prime.
    DhNotPrime = "dh-not-prime",
    /// A Diffie-Hellman prime the server sends is not a safe prime.
    DhNotSafePrime = "dh-not-safe-prime",
    /// A Diffie-Hellman prime the server sends is one of the widely shared weak ones (Logjam).
    DhCommonPrime = "dh-common-prime",
    /// No post-quantum hybrid key exchange.
    NoPqKeyExchange = "no-pq-key-exchange",
    /// The server refuses a version's hello for its form (too many suites, too long, an
    /// OCSP/SCT request) though plainer hellos of that version work.
    HelloIntolerance = "hello-intolerance",
    // Known attacks and protocol features.
    /// CVE-2014-0160.
    Heartbleed = "heartbleed",
    /// CVE-2014-0224.
    CcsInjection = "ccs-injection",
    /// CVE-2014-3566: SSL 3.0 with CBC suites.
    PoodleSslv3 = "poodle-sslv3",
    /// CVE-2016-0800: SSL 2.0 is served.
    Drown = "drown",
    /// CVE-2015-0204: export RSA suites.
    Freak = "freak",
    /// CVE-2015-4000: export DHE or DH ≤ 1024 bits.
    Logjam = "logjam",
    /// CVE-2016-2183: 64-bit block ciphers.
    Sweet32 = "sweet32",
    /// CVE-2012-4929 (CRIME): TLS compression.
    TlsCompression = "tls-compression",
    /// CVE-2009-3555: no RFC 5746 secure renegotiation.
    InsecureRenegotiation = "insecure-renegotiation",
    /// The server does not honour TLS_FALLBACK_SCSV.
    NoFallbackScsv = "no-fallback-scsv",
    /// CVE-2011-3389: CBC suites with TLS 1.0.
    Beast = "beast",
    /// The addresses of one name do not serve the same TLS (certificate, protocols, suites
    /// or findings differ): clients get a different site depending on the address they reach.
    EndpointsDiffer = "endpoints-differ",
    /// One address of the name could not be scanned (no connection, no TLS).
    EndpointUnreachable = "endpoint-unreachable",
    /// CVE-2017-13099 and siblings: a Bleichenbacher padding oracle in RSA key exchange.
    Robot = "robot",
    // Tests that complete a TLS 1.2 handshake.
    /// The server completes renegotiations the client asks for (a denial-of-service surface).
    ClientRenegotiation = "client-renegotiation",
    /// A completed TLS 1.2 handshake did not negotiate the Extended Master Secret (RFC 7627).
    NoExtendedMasterSecret = "no-extended-master-secret",
    /// TLS 1.2 sessions resume neither by session id nor by ticket, or TLS 1.3 sessions do
    /// not resume.
    NoSessionResumption = "no-session-resumption",
    /// The session ticket's lifetime hint is over a day.
    LongTicketLifetime = "long-ticket-lifetime",
    /// CVE-2016-9244: the server echoes 32 bytes of session id to a shorter one (memory leak).
    Ticketbleed = "ticketbleed",
    // Handshake simulation.
    /// A current browser cannot connect (handshake simulation).
    SimulationBrowserFails = "simulation-browser-fails",
    /// A current browser connects with a suite without forward secrecy.
    SimulationBrowserNoForwardSecrecy = "simulation-browser-no-forward-secrecy",
    /// A current browser connects with a suite without AEAD.
    SimulationBrowserNoAead = "simulation-browser-no-aead",
    // Certificate Transparency.
    /// A publicly trusted leaf shows fewer valid SCTs than Chrome's or Apple's CT policy
    /// requires: those browsers refuse it.
    CtPolicyNotMet = "ct-policy-not-met",
    /// An SCT from a known log does not verify against the log's key.
    CtInvalidSct = "ct-invalid-sct",
    // TLS 1.3 sessions.
    /// The server accepts TLS 1.3 0-RTT early data (requests sent in it can be replayed).
    EarlyDataAccepted = "early-data-accepted",
    // How the server takes hellos of unusual form (SSL Labs' "Protocol details").
    /// A hello offering a newer version than the server speaks is refused.
    VersionIntolerance = "version-intolerance",
    /// A hello carrying an unknown extension is refused.
    ExtensionIntolerance = "extension-intolerance",
    /// A hello over 255 bytes is refused.
    LongHelloIntolerance = "long-hello-intolerance",
    /// A hello offering over 150 suites is refused.
    SuiteCountLimit = "suite-count-limit",
    /// A hello asking for OCSP stapling is refused.
    StatusRequestIntolerance = "status-request-intolerance",
    /// A hello naming an unknown host gets an unrecognized_name alert.
    IncorrectSniAlert = "incorrect-sni-alert",
    /// A TLS 1.3 HelloRetryRequest names a group the client did not offer.
    HelloRetryUnofferedGroup = "hello-retry-unoffered-group",
    /// A TLS 1.0/1.1 handshake is answered with a suite only TLS 1.2 defines.
    SuiteOutsideVersion = "suite-outside-version",
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FindingId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::parse(&id))
    }
}

impl JsonSchema for FindingId {
    fn schema_name() -> Cow<'static, str> {
        "FindingId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = Self::KNOWN.iter().map(Self::as_str).collect();
        json_schema!({
            "description": "Stable kebab-case identifier of a finding (part of the API).",
            "type": "string",
            "enum": ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for id in FindingId::KNOWN {
            let text = id.as_str();
            assert!(seen.insert(text), "duplicate id {text}");
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{text} is not kebab-case"
            );
            let json = serde_json::to_value(id).unwrap();
            assert_eq!(serde_json::from_value::<FindingId>(json).unwrap(), *id);
        }
    }

    #[test]
    fn unknown_ids_survive_a_round_trip() {
        let id: FindingId = serde_json::from_str("\"future-check\"").unwrap();
        assert_eq!(id, FindingId::Other("future-check".into()));
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"future-check\"");
    }

    #[test]
    fn severities_sort_most_severe_first() {
        let mut all = vec![Severity::Info, Severity::Critical, Severity::Low];
        all.sort();
        assert_eq!(all, [Severity::Critical, Severity::Low, Severity::Info]);
    }
}
