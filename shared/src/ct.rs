//! Certificate Transparency (RFC 6962): the signed certificate timestamps a server shows for
//! its leaf, from each of the three places they can come from, each checked against a
//! bundled, dated list of known logs, and the leaf against Chrome's and Apple's CT policies.
//! Added after schema 1.3 (`Report::ct`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The leaf's Certificate Transparency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CertificateTransparency {
    /// The log list the SCTs were judged against.
    pub log_list: CtLogList,
    /// Every SCT seen, embedded ones first.
    #[serde(default)]
    pub scts: Vec<Sct>,
    /// The TLS extension was asked for (a raw TLS 1.2 hello offering
    /// signed_certificate_timestamp; full scans only). In TLS 1.3 the extension travels
    /// encrypted in the Certificate message, which this probe's TLS 1.3 client does not
    /// expose, so a TLS 1.3-only server's extension SCTs are not seen.
    #[serde(default)]
    pub tls_extension_checked: bool,
    /// Chrome's CT policy. Null when the chain does not lead to a publicly trusted root
    /// (an operator's private CA, `--ca-file`, is not bound by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chrome: Option<CtPolicyVerdict>,
    /// Apple's CT policy, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apple: Option<CtPolicyVerdict>,
}

/// Which log list, and how old it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CtLogList {
    /// The list's own version (Google's v3 `version`).
    pub version: String,
    /// The list's `log_list_timestamp` (RFC 3339): logs added after it are unknown here.
    pub timestamp: String,
    /// Logs in it (the bundled list plus any the operator added).
    pub logs: usize,
}

/// One signed certificate timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Sct {
    pub source: SctSource,
    /// The log's id (SHA-256 of its key), base64 as log lists write it.
    pub log_id: String,
    /// The log's name when the log list knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_name: Option<String>,
    /// The log's operator when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_operator: Option<String>,
    /// When the log promised to include the certificate (RFC 3339, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub timestamp: String,
    pub signature: SctSignature,
}

/// Where an SCT came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SctSource {
    /// The leaf's SCT list extension (1.3.6.1.4.1.11129.2.4.2), signed over the precertificate.
    Embedded,
    /// The TLS signed_certificate_timestamp extension (18).
    TlsExtension,
    /// The stapled OCSP response's SCT list extension (1.3.6.1.4.1.11129.2.4.5).
    Ocsp,
}

/// What the SCT's signature check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SctSignature {
    /// Verified against the log's key.
    Valid,
    /// The log is known and the signature does not verify: the SCT is worthless.
    Invalid,
    /// The log is not on the list (too new for it, or not a public log): not checked.
    UnknownLog,
    /// The log is known but the signed data could not be rebuilt (an embedded SCT whose
    /// issuer the server did not send) or the SCT uses an unsupported version or algorithm.
    Unverifiable,
}

/// One browser's CT policy against the SCTs seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CtPolicyVerdict {
    pub met: bool,
    /// What was counted against what the policy requires, in plain words.
    pub detail: String,
}
