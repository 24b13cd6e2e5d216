//! The report itself. Every field is documented: the docs become the JSON Schema's
//! descriptions.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Compliance, Finding, FindingId, Grade, HandshakeSimulation, ProtocolVersion};

/// The complete result of scanning one TLS endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Version of this JSON shape (see `SCHEMA_VERSION`).
    pub schema_version: String,
    /// Version of the probe that wrote the report.
    pub probe_version: String,
    /// `quick`: only the verified handshake ran, and the grade is provisional. `full`: every
    /// check ran.
    pub scan_mode: ScanMode,
    /// When the scan started (RFC 3339, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub scanned_at: String,
    /// How long the whole scan took, in milliseconds.
    pub duration_ms: u64,
    /// TCP connections the scan opened to the target (HTTP and AIA fetches included).
    #[serde(default)]
    pub connections: u32,
    pub target: TargetInfo,
    /// The overall grade.
    pub grade: Grade,
    /// How the grade was reached: scores, every cap and what holds the grade down.
    pub rating: Rating,
    /// What a modern client negotiates with the server. Null when no handshake succeeded.
    pub connection: Option<Connection>,
    /// Support for each protocol version, oldest first.
    pub protocols: Vec<ProtocolSupport>,
    pub key_exchange: KeyExchange,
    pub features: Features,
    /// Known attacks and whether the server is exposed to them.
    pub vulnerabilities: Vec<Vulnerability>,
    /// The certificate chain as the server sent it, leaf first.
    pub certificates: Vec<Certificate>,
    pub trust: Trust,
    /// What the site's HTTP layer says about TLS (HSTS, redirect from plain HTTP). Null when
    /// the HTTP checks did not run.
    pub http: Option<HttpInfo>,
    /// How real clients (browsers, libraries, old devices) would fare with the server: each
    /// one's protocol, suite and group, or why it fails. Full scans only; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simulations: Vec<HandshakeSimulation>,
    /// Everything found, most severe first.
    pub findings: Vec<Finding>,
    /// Checks that could not run, each with its reason. A failed check never sinks the report.
    pub errors: Vec<CheckError>,
    /// The server against each profile of the TLSRef server-side TLS guideline (formerly
    /// Mozilla's). Absent from quick scans, which do not enumerate what the profiles
    /// constrain. Added in schema 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<Compliance>,
    /// Every address of the name that was scanned (a full scan of a name with several
    /// addresses scans each, up to a bound), each with its own verdict. The rest of the report
    /// describes the worst of them (`target.ip`). Empty when one address was scanned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointResult>,
    /// What the site asks of clients and CAs beyond the handshake: CAA and HTTPS records,
    /// the HSTS preload list, OCSP Must-Staple. Absent when nothing of it was looked at.
    /// Added in schema 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::Policy>,
    /// Certificate Transparency: the leaf's SCTs from the certificate, the TLS extension and
    /// the stapled OCSP response, each verified against the bundled log list, and Chrome's
    /// and Apple's CT policies. Absent when there is no leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ct: Option<crate::CertificateTransparency>,
    /// Every other certificate chain the server serves: a server may hold an RSA and an ECDSA
    /// (or EdDSA) certificate and choose by the signature algorithms a client offers.
    /// `certificates` and `trust` describe the chain a browser-like client gets; each chain
    /// here is judged the same way, and its findings count in the grade (the weakest chain a
    /// client can be served). Empty when the server serves one chain. Additive (after 1.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_chains: Vec<ServedChain>,
}

/// A certificate chain served only to clients that do not accept the default chain's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServedChain {
    /// The leaf key's algorithm, as in `PublicKeyInfo::algorithm` ("RSA", "EC", "Ed25519").
    pub key_type: String,
    /// Which clients get this chain, in words ("clients offering only RSA signatures").
    pub served_to: String,
    /// The chain as the server sent it, leaf first.
    pub certificates: Vec<Certificate>,
    pub trust: Trust,
}

/// How much of the scan ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanMode {
    /// Only the verified handshake: certificate, trust, connection, HTTP.
    Quick,
    /// Every protocol, suite, group and attack test.
    Full,
}

/// What was scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TargetInfo {
    /// The host name (IDNs in their ASCII/punycode form) or IP address asked for.
    pub host: String,
    pub port: u16,
    /// The server name sent in the SNI extension; null when none was sent (IP targets).
    pub sni: Option<String>,
    /// The address that was scanned.
    pub ip: IpAddr,
    /// Every address the name resolved to.
    pub resolved_addresses: Vec<IpAddr>,
}

/// One address of a name with several, as scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointResult {
    pub ip: IpAddr,
    /// Its grade; null when its scan failed (see `error`).
    pub grade: Option<Grade>,
    /// Why its scan failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// SHA-256 of the leaf certificate it served (hex, as `certificates[].sha256_fingerprint`).
    pub leaf_sha256: Option<String>,
    /// The protocol versions it accepts, oldest first.
    pub protocols: Vec<ProtocolVersion>,
    /// How many cipher suites it accepts over all versions.
    pub cipher_suites: usize,
    /// The findings it gave.
    pub finding_ids: Vec<FindingId>,
    /// The leaves of the other chains it serves to clients that cannot verify the first
    /// (as in `other_chains`): an address serving an extra or a different RSA chain differs
    /// from one that does not. Empty: one chain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_chain_leaves: Vec<OtherChainLeaf>,
}

/// The leaf of one of an endpoint's other chains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OtherChainLeaf {
    /// The leaf key's algorithm, as in `ServedChain::key_type`.
    pub key_type: String,
    /// SHA-256 of the leaf certificate (hex, as `certificates[].sha256_fingerprint`).
    pub sha256: String,
}

/// How the grade was reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Rating {
    /// The version of the rules applied (see `RATING_RULES_VERSION`).
    pub rules_version: String,
    /// False when the scan was quick or a check failed, so that the grade may be better than
    /// the server deserves.
    pub complete: bool,
    /// The rating guide's numeric scores; null when the suites were not enumerated.
    pub score: Option<Score>,
    /// The grade the server would get if its certificate were trusted and named the host
    /// (SSL Labs' "if trust issues are ignored").
    pub grade_ignoring_trust: Grade,
    /// Every grade cap that applies, worst first.
    pub caps: Vec<GradeCap>,
}

/// The rating guide's three category scores (0–100) and their weighted total
/// (protocol 30%, key exchange 30%, cipher strength 40%).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    pub protocol: u8,
    pub key_exchange: u8,
    pub cipher_strength: u8,
    pub total: u8,
}

/// A finding that caps the grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GradeCap {
    pub finding_id: FindingId,
    /// The worst grade this finding allows.
    pub cap: Grade,
    /// True when this cap is what holds the grade where it is (the grade would be better
    /// without it).
    pub limiting: bool,
    /// The grade the server would get with every finding but this one.
    pub grade_without: Grade,
}

/// What a modern client (rustls, as a browser would) negotiates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    pub protocol_version: ProtocolVersion,
    /// IANA name of the negotiated cipher suite.
    pub cipher_suite: String,
    /// The key-exchange group ("X25519MLKEM768", "x25519", "secp256r1", ...).
    pub key_exchange_group: Option<String>,
    /// The ALPN protocol the server chose ("h2", "http/1.1").
    pub alpn: Option<String>,
    /// The server stapled an OCSP response.
    pub ocsp_stapled: bool,
    /// A second connection resumed the first one's session; null when not tried.
    pub session_resumed: Option<bool>,
    /// Time from TCP connect to the end of the handshake, in milliseconds.
    pub handshake_ms: u64,
}

/// Support for one protocol version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProtocolSupport {
    pub version: ProtocolVersion,
    /// True or false when tested; null when not tested (quick scans, or a failed test: see
    /// `errors`).
    pub supported: Option<bool>,
    /// Every accepted suite, in the server's order of preference when it has one, else in
    /// the order of IANA code points.
    pub cipher_suites: Vec<CipherSuite>,
    /// True when the server picks the suite by its own order, false when it follows the
    /// client's; null when not determined.
    pub server_preference: Option<bool>,
    /// How the server refused a hello offering every suite of this version, when plain
    /// hellos of at most 64 suites (no OCSP/SCT requests, short lists, under 256 bytes) then
    /// showed the version supported: a hello intolerance (suite-count limit, long-hello or
    /// extension intolerance). Absent when none was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intolerance: Option<String>,
}

/// An accepted cipher suite and what it is made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CipherSuite {
    /// IANA code point (SSL 2.0 cipher specs, which have none: the 3-byte spec shifted right
    /// by eight bits, 0x010080 → 0x0100).
    pub id: u16,
    /// IANA name ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").
    pub name: String,
    /// OpenSSL's name, where it has one.
    pub openssl_name: Option<String>,
    /// Key exchange ("ECDHE", "DHE", "RSA", "ECDH", "DH", "PSK", "any" for TLS 1.3, ...).
    pub key_exchange: String,
    /// Authentication ("RSA", "ECDSA", "anon", "any" for TLS 1.3, ...).
    pub authentication: String,
    /// Bulk cipher ("AES_128_GCM", "CHACHA20_POLY1305", "3DES_EDE_CBC", "RC4_128", "NULL").
    pub encryption: String,
    /// Effective key bits of the bulk cipher (0 for NULL; 40/56 for export).
    pub bits: u16,
    /// MAC ("AEAD", "SHA256", "SHA", "MD5").
    pub mac: String,
    pub aead: bool,
    pub forward_secrecy: bool,
    /// How this suite is judged.
    pub strength: SuiteStrength,
    /// The key exchange the server used with this suite ("x25519", "DH 2048", "secp256r1").
    pub key_exchange_detail: Option<String>,
}

/// How a cipher suite is judged (after ciphersuite.info's four levels).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SuiteStrength {
    /// Forward secret AEAD.
    Recommended,
    /// Sound, but CBC or without forward secrecy.
    Secure,
    /// Still works, known weaknesses (3DES, SHA-1 CBC with RSA key exchange, ...).
    Weak,
    /// Broken (NULL, anon, export, RC4, DES, MD5).
    Insecure,
}

/// Key-exchange groups and signature algorithms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyExchange {
    /// The groups the server accepts, in its order of preference where it has one; null when
    /// not tested.
    pub groups: Option<Vec<KeyExchangeGroup>>,
    /// True when the server picks the group by its own order; null when not determined.
    pub server_group_preference: Option<bool>,
    /// The smallest finite-field Diffie-Hellman group the server used with DHE suites, in
    /// bits; null when it accepts no DHE suite or it was not tested.
    pub dh_min_bits: Option<u16>,
    /// The signature algorithms the server signs its key exchange with (TLS 1.2/1.3 names,
    /// "rsa_pss_rsae_sha256", ...); null when not tested.
    pub signature_algorithms: Option<Vec<String>>,
    /// Every distinct finite-field Diffie-Hellman group the server sent with DHE suites,
    /// judged; absent when it accepts no DHE suite or it was not tested (schema 1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_groups: Option<Vec<FfdhGroup>>,
    /// A TLS 1.3 HelloRetryRequest named this group though the hello did not offer it (a
    /// server bug: RFC 8446 4.1.4 makes every client abort the handshake); absent when none
    /// did or it was not tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello_retry_unoffered_group: Option<KeyExchangeGroup>,
}

/// How a server takes hellos of unusual form (SSL Labs' "Protocol details"). Each test sends
/// one hello that differs from a plain hello the server accepts in one respect: `true` when
/// the server refused it (an intolerance), `false` when it answered, null when it could not
/// be told or did not apply (`details` says why).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HelloTolerance {
    /// A hello offering a newer version than the server speaks (legacy_version TLS 1.3,
    /// 0x0304, or 0x0399) is refused instead of answered with the server's best version.
    pub version_intolerance: Option<bool>,
    /// A hello carrying an extension the server does not know (a GREASE value, RFC 8701) is
    /// refused.
    pub extension_intolerance: Option<bool>,
    /// A hello longer than 255 bytes (padded to 300 or 600 bytes) is refused.
    pub long_hello_intolerance: Option<bool>,
    /// A hello offering over 150 suites is refused, though one as long with few suites is
    /// answered.
    pub suite_count_limit: Option<bool>,
    /// A hello asking for OCSP stapling (status_request) is refused.
    pub status_request_intolerance: Option<bool>,
    /// A hello naming a host the server does not know gets an unrecognized_name alert.
    pub incorrect_sni_alert: Option<bool>,
    /// A TLS 1.0/1.1 hello that also offers TLS 1.2-only suites (AES-GCM) is answered with
    /// one of them: a suite the negotiated version does not define.
    pub suite_outside_version: Option<bool>,
    /// What each test saw, in words.
    pub details: Vec<String>,
}

/// A finite-field Diffie-Hellman group as a server sent it (ServerDHParams: a modulus and a
/// generator, never the subgroup order), and what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FfdhGroup {
    /// The modulus' size in bits.
    pub bits: u16,
    /// The generator, in hexadecimal ("02").
    pub generator: String,
    /// SHA-256 of the modulus (big-endian, no leading zeros), in hexadecimal: the same value
    /// means the same group, across servers.
    pub prime_sha256: String,
    /// The published group it is ("ffdhe2048 (RFC 7919)", "RFC 2409 Oakley group 2"); null
    /// for one this probe does not know (most likely generated for the server).
    pub known_as: Option<String>,
    /// The modulus is prime (Baillie-PSW test: no composite is known to pass it); null when
    /// it was too large to test (over 8192 bits).
    pub prime: Option<bool>,
    /// The modulus is a safe prime: (p - 1) / 2 is prime too, so every share outside {1, p-1}
    /// lies in a subgroup of large prime order and needs no further check; null when not
    /// tested.
    pub safe_prime: Option<bool>,
}

/// One supported key-exchange group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyExchangeGroup {
    /// IANA code point.
    pub id: u16,
    /// IANA name ("x25519", "secp256r1", "ffdhe2048", "X25519MLKEM768").
    pub name: String,
    /// The group's security level in bits of equivalent symmetric strength.
    pub bits: u16,
    /// A hybrid post-quantum group.
    pub post_quantum: bool,
}

/// Protocol features. Null means not tested.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Features {
    /// RFC 5746 secure renegotiation is supported.
    pub secure_renegotiation: Option<bool>,
    /// TLS-level compression (CRIME) is accepted.
    pub compression: Option<bool>,
    /// The server refuses an inappropriate fallback (RFC 7507 TLS_FALLBACK_SCSV).
    pub fallback_scsv: Option<bool>,
    /// The heartbeat extension (RFC 6520) is enabled.
    pub heartbeat: Option<bool>,
    /// The server issues session tickets (RFC 5077 / TLS 1.3 NewSessionTicket).
    pub session_tickets: Option<bool>,
    /// The server staples OCSP responses.
    pub ocsp_stapling: Option<bool>,
    /// The ALPN protocols the server accepts, among h2 and http/1.1.
    pub alpn: Option<Vec<String>>,
    /// The server completed a renegotiation the client asked for inside a TLS 1.2
    /// connection (exercised, not inferred; a denial-of-service surface). Schema 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_renegotiation: Option<bool>,
    /// A completed TLS 1.2 handshake negotiated the Extended Master Secret (RFC 7627).
    /// Schema 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_master_secret: Option<bool>,
    /// A TLS 1.2 session was resumed by its session id (abbreviated handshake completed, the
    /// server's Finished checked); null when the server gave no session id or it was not
    /// tested. Schema 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumption_by_session_id: Option<bool>,
    /// A TLS 1.2 session was resumed by its ticket (RFC 5077), completed as above; null when
    /// the server issued no ticket or it was not tested. Schema 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumption_by_ticket: Option<bool>,
    /// The TLS 1.2 ticket's lifetime hint, in seconds. Schema 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_lifetime_hint: Option<u32>,
    /// A second TLS 1.3 connection offering a ticket from the first resumed (the server
    /// accepted the PSK); null when the browser-like client did not negotiate TLS 1.3 or the
    /// second connection failed. Additive (after 1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls13_resumption: Option<bool>,
    /// TLS 1.3 NewSessionTicket messages the first connection received (by the end of its
    /// HTTP request). Additive (after 1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls13_tickets: Option<u32>,
    /// The largest `max_early_data_size` the TLS 1.3 tickets allow, in bytes (0: the server
    /// does not offer 0-RTT); null without a ticket. Additive (after 1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_early_data_size: Option<u32>,
    /// The server accepted 0-RTT early data on a resumed TLS 1.3 connection: requests sent
    /// that way can be replayed by an attacker. Tested without sending any early data. Null
    /// when the server gave no TLS 1.3 ticket. Additive (after 1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_data: Option<bool>,
    /// SSL Labs' "Protocol details": how the server takes hellos of unusual form, asked
    /// with small hellos it otherwise accepts; absent when not tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello_tolerance: Option<HelloTolerance>,
}

/// A known attack and whether the server is exposed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Vulnerability {
    /// Stable kebab-case id ("heartbleed", "robot").
    pub id: String,
    /// Its common name ("Heartbleed").
    pub name: String,
    pub status: VulnerabilityStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cve: Vec<String>,
    /// What the test saw, or why it did not run.
    pub detail: String,
}

/// The outcome of a vulnerability test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VulnerabilityStatus {
    Vulnerable,
    NotVulnerable,
    /// Not tested by this scan (quick scan, or not implemented yet: see `detail`).
    NotTested,
    /// The test ran but could not decide (see `detail`).
    Inconclusive,
}

/// One certificate as the server sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Certificate {
    /// Subject distinguished name (RFC 4514).
    pub subject: String,
    /// The subject's common name, if any.
    pub common_name: Option<String>,
    /// Issuer distinguished name (RFC 4514).
    pub issuer: String,
    /// The issuer's common name, if any.
    pub issuer_common_name: Option<String>,
    /// Serial number, lowercase hex.
    pub serial: String,
    #[schemars(extend("format" = "date-time"))]
    pub not_before: String,
    #[schemars(extend("format" = "date-time"))]
    pub not_after: String,
    /// Whole days until notAfter at scan time; negative once expired.
    pub days_remaining: i64,
    /// DNS names and IP addresses from subjectAltName.
    pub subject_alt_names: Vec<String>,
    pub key: PublicKeyInfo,
    /// Signature algorithm ("sha256WithRSAEncryption", "ecdsa-with-SHA384", ...).
    pub signature_algorithm: String,
    /// SHA-256 of the DER certificate, lowercase hex.
    pub sha256_fingerprint: String,
    /// SHA-256 of the SubjectPublicKeyInfo, base64 (the HPKP / `pin-sha256` form).
    pub spki_sha256: String,
    /// Subject equals issuer and the certificate's signature verifies with its own key.
    pub self_signed: bool,
    /// The basicConstraints CA flag is set.
    pub is_ca: bool,
    /// OCSP responder URLs from Authority Information Access.
    pub ocsp_urls: Vec<String>,
    /// Issuer certificate URLs from Authority Information Access.
    pub ca_issuer_urls: Vec<String>,
}

/// A public key's algorithm and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PublicKeyInfo {
    /// "RSA", "EC", "Ed25519", "Ed448", "DSA", or the OID when unknown.
    pub algorithm: String,
    /// Key size in bits (modulus for RSA, field size for EC).
    pub bits: u32,
    /// The named curve for EC keys ("secp256r1").
    pub curve: Option<String>,
}

/// Whether a browser would trust the certificate for this host, and every reason why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Trust {
    /// The chain leads to a trusted root, every certificate is valid now, and none is revoked.
    pub trusted: bool,
    /// The leaf names the host (false also when no certificate was seen).
    pub name_matches: bool,
    /// The server sent every intermediate a client needs; null when that could not be told.
    pub chain_complete: Option<bool>,
    /// Every validation failure, not only the first.
    pub issues: Vec<TrustIssue>,
    /// The subject of the root the chain leads to, when it does.
    pub anchor: Option<String>,
    /// The stapled OCSP response, when one was stapled.
    pub ocsp: Option<OcspStatus>,
}

/// One reason the certificate is not trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrustIssue {
    pub kind: TrustIssueKind,
    /// What exactly failed, in plain words.
    pub message: String,
}

/// The kinds of trust failure.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TrustIssueKind {
    Expired,
    NotYetValid,
    SelfSigned,
    UnknownIssuer,
    IncompleteChain,
    NameMismatch,
    Revoked,
    BadSignature,
    /// The certificate may not be used to authenticate a TLS server.
    InvalidPurpose,
    /// A certificate could not be parsed or uses something unsupported.
    Unsupported,
    /// The server sent no certificate.
    NoCertificate,
    /// The validity periods of the certificates in the chain never overlap, so the chain was
    /// never valid as a whole (another issue says which certificate is invalid now).
    ValidityDisjoint,
    /// The leaf is larger than webpki (the verifier of rustls-based clients and of this probe)
    /// parses, 64 KiB: its path to a trusted root could not be checked.
    CertificateTooLarge,
    Other,
}

/// A stapled OCSP response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OcspStatus {
    pub status: OcspCertStatus,
    /// The response's signature verified with the issuer's key (or a delegated responder
    /// certified by it).
    pub signature_valid: bool,
    #[schemars(extend("format" = "date-time"))]
    pub produced_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub this_update: String,
    #[schemars(extend("format" = "date-time"))]
    pub next_update: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub revoked_at: Option<String>,
}

/// The certificate status an OCSP response gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OcspCertStatus {
    Good,
    Revoked,
    Unknown,
}

/// The site's HTTP layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HttpInfo {
    /// The status of `GET /` over HTTPS; null when the request failed (see `errors`).
    pub https_status: Option<u16>,
    /// The Strict-Transport-Security header of that response; null when absent.
    pub hsts: Option<Hsts>,
    /// What plain HTTP on port 80 answers; null when port 80 did not answer.
    pub plain_http: Option<PlainHttp>,
}

/// A Strict-Transport-Security header as served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Hsts {
    /// The header value exactly as served.
    pub raw: String,
    /// max-age in seconds; null when missing or unparseable (the header is then invalid).
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    pub preload: bool,
}

/// The answer to `GET /` over plain HTTP on port 80.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlainHttp {
    pub status: u16,
    /// The Location header, when there is one.
    pub location: Option<String>,
    /// The answer redirects to an https:// URL.
    pub redirects_to_https: bool,
}

/// A check that could not run, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckError {
    /// Which step: one of the stable names of [`Step`] ("verified-handshake",
    /// "session-resumption", "http", "http-redirect", "alpn", "protocol-ssl2",
    /// "protocol-ssl3", "protocol-tls10", "protocol-tls11", "protocol-tls12",
    /// "protocol-tls13", "groups", "curves", "signature-algorithms", "compression",
    /// "fallback-scsv", "heartbleed", "ccs-injection", "robot", "concurrency",
    /// "dh-groups", "certificate", "ocsp", "chain-completion", "simulation", "renegotiation",
    /// "tls12-resumption", "ticketbleed", "dns-policy"). Clients should show names they do not
    /// know as they are: later versions add steps.
    pub check: String,
    /// Why it could not run.
    pub message: String,
}

impl CheckError {
    /// `step` could not run because of `message`.
    pub fn new(step: Step, message: impl Into<String>) -> Self {
        Self {
            check: step.as_str().to_owned(),
            message: message.into(),
        }
    }
}

/// The steps of a scan, by the stable names used in a report's `errors`, in the probe's
/// metrics and in its logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    VerifiedHandshake,
    SessionResumption,
    Http,
    HttpRedirect,
    Alpn,
    /// Whether one protocol version is supported, and its suites.
    Protocol(ProtocolVersion),
    Groups,
    Curves,
    SignatureAlgorithms,
    Compression,
    FallbackScsv,
    Heartbleed,
    CcsInjection,
    Robot,
    /// The server's tolerance of parallel connections.
    Concurrency,
    /// Judging the DH groups a server sent (primality, safe primes).
    DhGroups,
    /// Parsing a certificate of the chain.
    Certificate,
    Ocsp,
    /// Completing a chain through AIA.
    ChainCompletion,
    /// The handshake simulation's confirmations.
    Simulation,
    /// Renegotiation inside a completed TLS 1.2 connection.
    Renegotiation,
    /// TLS 1.2 resumption by session id and ticket (and the Extended Master Secret).
    Tls12Resumption,
    /// Ticketbleed (CVE-2016-9244).
    Ticketbleed,
    /// The name's CAA and HTTPS records.
    DnsPolicy,
    /// Certificate Transparency: the TLS SCT extension, and reading SCT lists.
    CertificateTransparency,
    /// The other certificate chains (clients offering only one key type's signatures).
    ServedChains,
    /// How the server takes hellos of unusual form (SSL Labs' "Protocol details").
    HelloTolerance,
}

impl Step {
    /// The stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifiedHandshake => "verified-handshake",
            Self::SessionResumption => "session-resumption",
            Self::Http => "http",
            Self::HttpRedirect => "http-redirect",
            Self::Alpn => "alpn",
            Self::Protocol(ProtocolVersion::Ssl2) => "protocol-ssl2",
            Self::Protocol(ProtocolVersion::Ssl3) => "protocol-ssl3",
            Self::Protocol(ProtocolVersion::Tls10) => "protocol-tls10",
            Self::Protocol(ProtocolVersion::Tls11) => "protocol-tls11",
            Self::Protocol(ProtocolVersion::Tls12) => "protocol-tls12",
            Self::Protocol(ProtocolVersion::Tls13) => "protocol-tls13",
            Self::Groups => "groups",
            Self::Curves => "curves",
            Self::SignatureAlgorithms => "signature-algorithms",
            Self::Compression => "compression",
            Self::FallbackScsv => "fallback-scsv",
            Self::Heartbleed => "heartbleed",
            Self::CcsInjection => "ccs-injection",
            Self::Robot => "robot",
            Self::Concurrency => "concurrency",
            Self::DhGroups => "dh-groups",
            Self::Certificate => "certificate",
            Self::Ocsp => "ocsp",
            Self::ChainCompletion => "chain-completion",
            Self::Simulation => "simulation",
            Self::Renegotiation => "renegotiation",
            Self::Tls12Resumption => "tls12-resumption",
            Self::Ticketbleed => "ticketbleed",
            Self::DnsPolicy => "dns-policy",
            Self::CertificateTransparency => "certificate-transparency",
            Self::ServedChains => "served-chains",
            Self::HelloTolerance => "hello-tolerance",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Report {
    /// The leaf certificate, when the server sent one.
    pub fn leaf(&self) -> Option<&Certificate> {
        self.certificates.first()
    }

    /// The finding with this id, if present.
    pub fn finding(&self, id: &FindingId) -> Option<&Finding> {
        self.findings.iter().find(|f| &f.id == id)
    }

    /// Support for this protocol version, if the report lists it.
    pub fn protocol(&self, version: ProtocolVersion) -> Option<&ProtocolSupport> {
        self.protocols.iter().find(|p| p.version == version)
    }
}
