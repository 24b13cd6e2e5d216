//! Certificate Transparency (RFC 6962): signed certificate timestamps from the three places a
//! server can show them, each verified against a known log's key, and the browsers' CT
//! policies over them.
//!
//! - Embedded in the leaf (extension 1.3.6.1.4.1.11129.2.4.2): the log signed the
//!   *precertificate*, so the signed data is rebuilt from the leaf's TBSCertificate with that
//!   extension removed, and the issuer's key hash.
//! - The TLS signed_certificate_timestamp extension, and the stapled OCSP response's
//!   extension 1.3.6.1.4.1.11129.2.4.5: the log signed the leaf itself.
//!
//! The log list is data (`data/ct-log-list.json`, a trimmed copy of Google's v3 list, in the
//! same shape so an operator's extra list reads the same way). Everything here is pure over
//! bytes and a clock, bounded by the input's length, and never panics on what a server sent.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::{CtLogList, CtPolicyVerdict, Sct, SctSignature, SctSource};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::pki::certificate::rfc3339;

/// The X.509 SCT list extension's OID, DER content bytes of 1.3.6.1.4.1.11129.2.4.2.
const EMBEDDED_SCT_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];
/// The OCSP SingleResponse SCT list extension's OID, 1.3.6.1.4.1.11129.2.4.5.
const OCSP_SCT_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x05];

/// SCTs read from one list at most (a real list has 2 to 5): bounds the work a hostile list
/// can cause.
const MAX_SCTS_PER_LIST: usize = 16;

/// The bundled log list.
static BUNDLED: &str = include_str!("../../data/ct-log-list.json");

/// Why a log list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LogListError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("not a CT log list (Google's v3 JSON shape): {0}")]
    Shape(String),
    #[error("log {name}: {reason}")]
    Log { name: String, reason: String },
}

/// A log's state in the list (Google's v3 states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogState {
    Pending,
    Qualified,
    Usable,
    ReadOnly,
    Retired,
    Rejected,
}

/// One known log.
#[derive(Clone, Debug)]
pub struct KnownLog {
    pub id: [u8; 32],
    pub name: String,
    pub operator: String,
    /// The log's SubjectPublicKeyInfo, DER.
    pub key: Vec<u8>,
    pub state: LogState,
    /// When it entered that state (a retired log's SCTs count only from before).
    pub state_since: OffsetDateTime,
    /// RFC 6962 log (not a static-ct-api "tiled" log): Chrome wants at least one.
    pub rfc6962: bool,
}

/// The logs SCTs are checked against.
#[derive(Clone, Debug)]
pub struct LogList {
    pub version: String,
    pub timestamp: String,
    pub logs: Vec<KnownLog>,
}

#[derive(Deserialize)]
struct V3List {
    #[serde(default)]
    version: String,
    #[serde(default)]
    log_list_timestamp: String,
    operators: Vec<V3Operator>,
}

#[derive(Deserialize)]
struct V3Operator {
    name: String,
    #[serde(default)]
    logs: Vec<V3Log>,
    #[serde(default)]
    tiled_logs: Vec<V3Log>,
}

#[derive(Deserialize)]
struct V3Log {
    description: String,
    log_id: String,
    key: String,
    #[serde(default)]
    state: Option<serde_json::Map<String, serde_json::Value>>,
}

impl LogList {
    /// The bundled list, parsed once.
    pub fn bundled() -> Arc<Self> {
        static LIST: OnceLock<Arc<LogList>> = OnceLock::new();
        LIST.get_or_init(|| {
            Arc::new(Self::parse(BUNDLED).expect("data/ct-log-list.json parses (unit-tested)"))
        })
        .clone()
    }

    /// Parses a list in Google's v3 shape. Each log's id must be the SHA-256 of its key.
    pub fn parse(json: &str) -> Result<Self, LogListError> {
        let list: V3List =
            serde_json::from_str(json).map_err(|e| LogListError::Shape(e.to_string()))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut logs = Vec::new();
        for operator in list.operators {
            for (log, rfc6962) in operator
                .logs
                .into_iter()
                .map(|l| (l, true))
                .chain(operator.tiled_logs.into_iter().map(|l| (l, false)))
            {
                let fail = |reason: &str| LogListError::Log {
                    name: log.description.clone(),
                    reason: reason.to_owned(),
                };
                let key = b64
                    .decode(&log.key)
                    .map_err(|_| fail("key is not base64"))?;
                let id: [u8; 32] = b64
                    .decode(&log.log_id)
                    .ok()
                    .and_then(|id| id.try_into().ok())
                    .ok_or_else(|| fail("log_id is not 32 bytes of base64"))?;
                if Sha256::digest(&key).as_slice() != id {
                    return Err(fail("log_id is not the SHA-256 of the key"));
                }
                let (state, state_since) = match log.state.as_ref().and_then(|s| s.iter().next()) {
                    Some((name, value)) => {
                        let state = match name.as_str() {
                            "pending" => LogState::Pending,
                            "qualified" => LogState::Qualified,
                            "usable" => LogState::Usable,
                            "readonly" => LogState::ReadOnly,
                            "retired" => LogState::Retired,
                            "rejected" => LogState::Rejected,
                            _ => return Err(fail("unknown state")),
                        };
                        let since = value
                            .get("timestamp")
                            .and_then(|t| t.as_str())
                            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
                            .ok_or_else(|| fail("state has no RFC 3339 timestamp"))?;
                        (state, since)
                    }
                    None => (LogState::Pending, OffsetDateTime::UNIX_EPOCH),
                };
                logs.push(KnownLog {
                    id,
                    name: log.description,
                    operator: operator.name.clone(),
                    key,
                    state,
                    state_since,
                    rfc6962,
                });
            }
        }
        Ok(Self {
            version: list.version,
            timestamp: list.log_list_timestamp,
            logs,
        })
    }

    /// The bundled list plus the logs of the list at `extra` (the operator's, or a test's):
    /// those come first, so they win over a bundled log with the same id.
    pub fn with_extra(extra: Option<&Path>) -> Result<Arc<Self>, LogListError> {
        let bundled = Self::bundled();
        let Some(path) = extra else {
            return Ok(bundled);
        };
        let text = std::fs::read_to_string(path).map_err(|e| LogListError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut extra = Self::parse(&text)?;
        extra.logs.extend(bundled.logs.iter().cloned());
        Ok(Arc::new(Self {
            version: format!("{} + {}", bundled.version, path.display()),
            timestamp: bundled.timestamp.clone(),
            logs: extra.logs,
        }))
    }

    fn find(&self, id: &[u8; 32]) -> Option<&KnownLog> {
        self.logs.iter().find(|l| &l.id == id)
    }
}

/// Why an SCT list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SctError {
    #[error("the SCT list is truncated")]
    Truncated,
    #[error("the SCT list has bytes after its end")]
    Trailing,
    #[error("the SCT list is empty")]
    Empty,
    #[error("the SCT list holds more than {MAX_SCTS_PER_LIST} SCTs")]
    TooMany,
    #[error("the certificate's DER could not be walked: {0}")]
    Der(&'static str),
}

/// One SCT as sent (RFC 6962 3.2), only v1 parsed further.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCertificateTimestamp {
    pub version: u8,
    pub log_id: [u8; 32],
    /// Milliseconds since the epoch.
    pub timestamp: u64,
    pub extensions: Vec<u8>,
    pub hash_algorithm: u8,
    pub signature_algorithm: u8,
    pub signature: Vec<u8>,
}

/// A cursor over TLS-encoded bytes.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SctError> {
        if self.0.len() < n {
            return Err(SctError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, SctError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<usize, SctError> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn vec_u16(&mut self) -> Result<&'a [u8], SctError> {
        let n = self.u16()?;
        self.take(n)
    }
}

/// Parses a SignedCertificateTimestampList (a u16-prefixed list of u16-prefixed SCTs).
/// SCTs of a version other than v1 are skipped, as RFC 6962 asks of clients.
pub fn parse_sct_list(bytes: &[u8]) -> Result<Vec<SignedCertificateTimestamp>, SctError> {
    let mut outer = Bytes(bytes);
    let mut list = Bytes(outer.vec_u16()?);
    if !outer.0.is_empty() {
        return Err(SctError::Trailing);
    }
    if list.0.is_empty() {
        return Err(SctError::Empty);
    }
    let mut scts = Vec::new();
    let mut seen = 0;
    while !list.0.is_empty() {
        if seen == MAX_SCTS_PER_LIST {
            return Err(SctError::TooMany);
        }
        seen += 1;
        let mut sct = Bytes(list.vec_u16()?);
        let version = sct.u8()?;
        if version != 0 {
            continue;
        }
        let log_id: [u8; 32] = sct.take(32)?.try_into().map_err(|_| SctError::Truncated)?;
        let ts = sct.take(8)?;
        let timestamp = u64::from_be_bytes(ts.try_into().map_err(|_| SctError::Truncated)?);
        let extensions = sct.vec_u16()?.to_vec();
        let hash_algorithm = sct.u8()?;
        let signature_algorithm = sct.u8()?;
        let signature = sct.vec_u16()?.to_vec();
        if !sct.0.is_empty() {
            return Err(SctError::Trailing);
        }
        scts.push(SignedCertificateTimestamp {
            version,
            log_id,
            timestamp,
            extensions,
            hash_algorithm,
            signature_algorithm,
            signature,
        });
    }
    Ok(scts)
}

/// One DER element: its tag, content, and the whole element.
#[derive(Clone, Copy)]
struct Der<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

fn der(input: &[u8]) -> Result<(Der<'_>, &[u8]), SctError> {
    let short = SctError::Der("truncated");
    let (&tag, rest) = input.split_first().ok_or(short.clone())?;
    let (&first, rest) = rest.split_first().ok_or(short.clone())?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return Err(SctError::Der("bad length"));
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return Err(short);
    }
    let header = input.len() - rest.len();
    Ok((
        Der {
            tag,
            content: &rest[..len],
            raw: &input[..header + len],
        },
        &rest[len..],
    ))
}

fn der_elements(mut input: &[u8]) -> Result<Vec<Der<'_>>, SctError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (element, rest) = der(input)?;
        out.push(element);
        input = rest;
    }
    Ok(out)
}

/// A DER element with definite, minimal length.
fn encode_der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The Extension whose extnID is `oid` in an Extensions SEQUENCE's content: its index and
/// the content of its extnValue OCTET STRING.
fn find_extension<'a>(
    extensions: &[Der<'a>],
    oid: &[u8],
) -> Result<Option<(usize, &'a [u8])>, SctError> {
    for (index, extension) in extensions.iter().enumerate() {
        let fields = der_elements(extension.content)?;
        let Some(id) = fields.first() else { continue };
        if id.tag != 0x06 || id.content != oid {
            continue;
        }
        // extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING.
        let value = fields
            .iter()
            .skip(1)
            .find(|f| f.tag == 0x04)
            .ok_or(SctError::Der("extension without a value"))?;
        return Ok(Some((index, value.content)));
    }
    Ok(None)
}

/// The SCT list inside an extension value: an OCTET STRING holding the TLS encoding.
fn unwrap_octet_string(value: &[u8]) -> Result<&[u8], SctError> {
    let (inner, rest) = der(value)?;
    if inner.tag != 0x04 || !rest.is_empty() {
        return Err(SctError::Der("SCT extension is not an OCTET STRING"));
    }
    Ok(inner.content)
}

/// A leaf's embedded SCTs and what their logs signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedScts {
    /// The SCT list, raw TLS encoding.
    pub list: Vec<u8>,
    /// The TBSCertificate rebuilt without the SCT extension (RFC 6962 3.2's precertificate).
    pub precert_tbs: Vec<u8>,
}

/// The leaf's embedded SCTs. `None` when the leaf has no SCT extension.
pub fn embedded_scts(leaf: &[u8]) -> Result<Option<EmbeddedScts>, SctError> {
    let (cert, _) = der(leaf)?;
    let (tbs, _) = der(cert.content)?;
    if cert.tag != 0x30 || tbs.tag != 0x30 {
        return Err(SctError::Der("not a certificate"));
    }
    let fields = der_elements(tbs.content)?;
    // The extensions are the [3] EXPLICIT field, last in the TBSCertificate.
    let Some((position, explicit)) = fields.iter().enumerate().find(|(_, f)| f.tag == 0xa3) else {
        return Ok(None);
    };
    let (sequence, rest) = der(explicit.content)?;
    if sequence.tag != 0x30 || !rest.is_empty() {
        return Err(SctError::Der("extensions are not a SEQUENCE"));
    }
    let extensions = der_elements(sequence.content)?;
    let Some((index, value)) = find_extension(&extensions, EMBEDDED_SCT_OID)? else {
        return Ok(None);
    };
    let list = unwrap_octet_string(value)?.to_vec();
    let kept: Vec<u8> = extensions
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .flat_map(|(_, e)| e.raw.iter().copied())
        .collect();
    let mut content = Vec::with_capacity(tbs.content.len());
    for (i, field) in fields.iter().enumerate() {
        if i != position {
            content.extend_from_slice(field.raw);
        } else if !kept.is_empty() {
            // A precertificate whose only extension was the SCT list has no extensions field.
            content.extend(encode_der(0xa3, &encode_der(0x30, &kept)));
        }
    }
    Ok(Some(EmbeddedScts {
        list,
        precert_tbs: encode_der(0x30, &content),
    }))
}

/// The SCT list in a stapled OCSP response (the SingleResponse extension), raw TLS encoding.
/// The response's own validity is `pki::ocsp`'s business; this only walks to the extension.
pub fn ocsp_scts(response: &[u8]) -> Result<Option<Vec<u8>>, SctError> {
    let (outer, _) = der(response)?;
    let fields = der_elements(outer.content)?;
    // OCSPResponse { responseStatus, [0] EXPLICIT ResponseBytes }.
    let Some(bytes) = fields.iter().find(|f| f.tag == 0xa0) else {
        return Ok(None);
    };
    let (bytes, _) = der(bytes.content)?;
    let bytes = der_elements(bytes.content)?;
    let basic = bytes
        .get(1)
        .filter(|b| b.tag == 0x04)
        .ok_or(SctError::Der("no basic response"))?;
    let (basic, _) = der(basic.content)?;
    let (tbs, _) = der(basic.content)?;
    let tbs_fields = der_elements(tbs.content)?;
    // ResponseData: [0] version?, responderID, producedAt, responses SEQUENCE, [1] ext?
    let responses = tbs_fields
        .iter()
        .rev()
        .find(|f| f.tag == 0x30)
        .ok_or(SctError::Der("no responses"))?;
    for single in der_elements(responses.content)? {
        // SingleResponse: certID, certStatus, thisUpdate, [0] nextUpdate?, [1] extensions?
        let parts = der_elements(single.content)?;
        let Some(explicit) = parts.iter().find(|p| p.tag == 0xa1) else {
            continue;
        };
        let (sequence, _) = der(explicit.content)?;
        let extensions = der_elements(sequence.content)?;
        if let Some((_, value)) = find_extension(&extensions, OCSP_SCT_OID)? {
            return Ok(Some(unwrap_octet_string(value)?.to_vec()));
        }
    }
    Ok(None)
}

/// What a log signed (RFC 6962 3.2, digitally-signed struct of a v1 SCT).
#[derive(Debug)]
pub enum SignedEntry<'a> {
    /// The leaf's DER (TLS extension and OCSP SCTs).
    X509(&'a [u8]),
    /// The precertificate's TBS and the SHA-256 of the issuer's SubjectPublicKeyInfo.
    Precert {
        issuer_key_hash: [u8; 32],
        tbs: &'a [u8],
    },
}

/// The bytes the log's signature covers.
pub fn signed_data(sct: &SignedCertificateTimestamp, entry: &SignedEntry<'_>) -> Vec<u8> {
    let u24 = |n: usize| [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    let mut data = vec![0u8, 0u8]; // v1, certificate_timestamp
    data.extend_from_slice(&sct.timestamp.to_be_bytes());
    match entry {
        SignedEntry::X509(der) => {
            data.extend_from_slice(&0u16.to_be_bytes());
            data.extend_from_slice(&u24(der.len()));
            data.extend_from_slice(der);
        }
        SignedEntry::Precert {
            issuer_key_hash,
            tbs,
        } => {
            data.extend_from_slice(&1u16.to_be_bytes());
            data.extend_from_slice(issuer_key_hash);
            data.extend_from_slice(&u24(tbs.len()));
            data.extend_from_slice(tbs);
        }
    }
    data.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
    data.extend_from_slice(&sct.extensions);
    data
}

/// Verifies `sct` over `data` with the log's SubjectPublicKeyInfo `key`. `None` when the
/// algorithm is one RFC 6962 logs do not use (only SHA-256 with ECDSA or RSA PKCS#1).
pub fn verify(sct: &SignedCertificateTimestamp, data: &[u8], key: &[u8]) -> Option<bool> {
    const SHA256: u8 = 4;
    const RSA: u8 = 1;
    const ECDSA: u8 = 3;
    if sct.hash_algorithm != SHA256 {
        return None;
    }
    let (_, spki) = SubjectPublicKeyInfo::from_der(key).ok()?;
    let public = spki.subject_public_key.data.as_ref();
    let algorithm: &dyn signature::VerificationAlgorithm = match sct.signature_algorithm {
        ECDSA => &signature::ECDSA_P256_SHA256_ASN1,
        RSA => &signature::RSA_PKCS1_2048_8192_SHA256,
        _ => return None,
    };
    Some(
        UnparsedPublicKey::new(algorithm, public)
            .verify(data, &sct.signature)
            .is_ok(),
    )
}

/// Everything the CT judgement needs from a scan.
#[derive(Debug)]
pub struct CtInput<'a> {
    pub leaf: &'a [u8],
    /// The leaf's issuer certificate, when the server sent it.
    pub issuer: Option<&'a [u8]>,
    pub ocsp: Option<&'a [u8]>,
    /// The TLS extension's data (`Some(None)`: asked, none sent; `None`: not asked).
    pub tls_extension: Option<Option<&'a [u8]>>,
    /// The chain leads to a publicly trusted root (policies apply).
    pub publicly_trusted: bool,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub now: OffsetDateTime,
}

/// An SCT judged, with what the policies need.
struct Judged {
    report: Sct,
    /// The log as known, when it is.
    log: Option<KnownLog>,
    at: OffsetDateTime,
}

/// The leaf's CT section, and any list that could not be read (for the report's errors).
pub fn judge(
    input: &CtInput<'_>,
    logs: &LogList,
) -> (shared::CertificateTransparency, Vec<String>) {
    let mut judged = Vec::new();
    let mut errors = Vec::new();
    let issuer_key_hash = input.issuer.and_then(|issuer| {
        let (_, cert) = x509_parser::prelude::X509Certificate::from_der(issuer).ok()?;
        Some(<[u8; 32]>::from(Sha256::digest(cert.public_key().raw)))
    });
    match embedded_scts(input.leaf) {
        Ok(Some(embedded)) => {
            let entry = issuer_key_hash.map(|issuer_key_hash| SignedEntry::Precert {
                issuer_key_hash,
                tbs: &embedded.precert_tbs,
            });
            judge_list(
                &embedded.list,
                SctSource::Embedded,
                entry.as_ref(),
                logs,
                &mut judged,
                &mut errors,
            );
        }
        Ok(None) => {}
        Err(e) => errors.push(format!("embedded SCTs: {e}")),
    }
    let x509 = SignedEntry::X509(input.leaf);
    if let Some(Some(list)) = input.tls_extension {
        judge_list(
            list,
            SctSource::TlsExtension,
            Some(&x509),
            logs,
            &mut judged,
            &mut errors,
        );
    }
    if let Some(response) = input.ocsp.filter(|r| !r.is_empty()) {
        match ocsp_scts(response) {
            Ok(Some(list)) => judge_list(
                &list,
                SctSource::Ocsp,
                Some(&x509),
                logs,
                &mut judged,
                &mut errors,
            ),
            Ok(None) => {}
            Err(e) => errors.push(format!("OCSP SCTs: {e}")),
        }
    }
    let (chrome, apple) = if input.publicly_trusted {
        let lifetime = input.not_after - input.not_before;
        (
            Some(policy(&judged, lifetime, input.now, Browser::Chrome)),
            Some(policy(&judged, lifetime, input.now, Browser::Apple)),
        )
    } else {
        (None, None)
    };
    let ct = shared::CertificateTransparency {
        log_list: CtLogList {
            version: logs.version.clone(),
            timestamp: logs.timestamp.clone(),
            logs: logs.logs.len(),
        },
        scts: judged.into_iter().map(|j| j.report).collect(),
        tls_extension_checked: input.tls_extension.is_some(),
        chrome,
        apple,
    };
    (ct, errors)
}

fn judge_list(
    list: &[u8],
    source: SctSource,
    entry: Option<&SignedEntry<'_>>,
    logs: &LogList,
    judged: &mut Vec<Judged>,
    errors: &mut Vec<String>,
) {
    let scts = match parse_sct_list(list) {
        Ok(scts) => scts,
        Err(e) => {
            errors.push(format!("{source:?} SCTs: {e}"));
            return;
        }
    };
    for sct in scts {
        let log = logs.find(&sct.log_id).cloned();
        let signature = match (&log, entry) {
            (None, _) => SctSignature::UnknownLog,
            (Some(_), None) => SctSignature::Unverifiable,
            (Some(log), Some(entry)) => match verify(&sct, &signed_data(&sct, entry), &log.key) {
                Some(true) => SctSignature::Valid,
                Some(false) => SctSignature::Invalid,
                None => SctSignature::Unverifiable,
            },
        };
        let at = i64::try_from(sct.timestamp / 1000)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        judged.push(Judged {
            report: Sct {
                source,
                log_id: base64::engine::general_purpose::STANDARD.encode(sct.log_id),
                log_name: log.as_ref().map(|l| l.name.clone()),
                log_operator: log.as_ref().map(|l| l.operator.clone()),
                timestamp: rfc3339(at),
                signature,
            },
            log,
            at,
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Browser {
    Chrome,
    Apple,
}

/// Whether the SCT counts: valid, from a log that is (or was, when it signed) trusted.
fn counts(j: &Judged, now: OffsetDateTime) -> bool {
    let Some(log) = &j.log else { return false };
    j.report.signature == SctSignature::Valid
        && match log.state {
            LogState::Qualified | LogState::Usable | LogState::ReadOnly => log.state_since <= now,
            // A retired log's SCTs count when they were issued before it was retired.
            LogState::Retired => j.at < log.state_since,
            LogState::Pending | LogState::Rejected => false,
        }
}

/// Chrome's and Apple's policies (Chrome: ct_policy.md; Apple: support.apple.com/103214),
/// as of 2026: embedded SCTs need 2 (lifetime up to 180 days) or 3 distinct logs, from at
/// least 2 operators; SCTs delivered by TLS or OCSP need 2 distinct logs from 2 operators.
/// Chrome also wants at least one of them from an RFC 6962 log.
fn policy(
    judged: &[Judged],
    lifetime: time::Duration,
    now: OffsetDateTime,
    browser: Browser,
) -> CtPolicyVerdict {
    let tally = |embedded: bool| {
        let mut logs: Vec<&KnownLog> = Vec::new();
        for j in judged.iter().filter(|j| counts(j, now)) {
            if (j.report.source == SctSource::Embedded) != embedded {
                continue;
            }
            if let Some(log) = &j.log
                && !logs.iter().any(|l| l.id == log.id)
            {
                logs.push(log);
            }
        }
        let mut operators: Vec<&str> = logs.iter().map(|l| l.operator.as_str()).collect();
        operators.sort_unstable();
        operators.dedup();
        let rfc6962 = logs.iter().any(|l| l.rfc6962);
        (logs.len(), operators.len(), rfc6962)
    };
    let embedded_needed = if lifetime <= time::Duration::days(180) {
        2
    } else {
        3
    };
    let check = |(logs, operators, rfc6962): (usize, usize, bool), needed: usize| {
        logs >= needed && operators >= 2 && (browser == Browser::Apple || rfc6962)
    };
    let embedded = tally(true);
    let delivered = tally(false);
    let met = check(embedded, embedded_needed) || check(delivered, 2);
    let detail = format!(
        "embedded: {} valid SCTs from qualified logs of {} operators (needs {embedded_needed} \
         from 2 operators{}); TLS extension and OCSP: {} from {} operators (needs 2 from 2 \
         operators)",
        embedded.0,
        embedded.1,
        if browser == Browser::Chrome {
            ", one an RFC 6962 log"
        } else {
            ""
        },
        delivered.0,
        delivered.1,
    );
    CtPolicyVerdict { met, detail }
}

#[cfg(test)]
mod tests;
