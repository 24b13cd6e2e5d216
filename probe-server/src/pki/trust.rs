//! Would a browser trust this chain for this name, and every reason why not.
//!
//! webpki stops at the first failure, and an expired certificate would hide an unknown
//! issuer. So the chain is judged in independent passes:
//!
//! 1. the path to a trusted root, checked at a moment when every presented certificate is
//!    valid (so expiry cannot mask a broken chain);
//! 2. validity of each presented certificate *now*;
//! 3. the name;
//! 4. the stapled OCSP response.
//!
//! When the path fails only for want of an intermediate the server did not send, the caller
//! may fetch it from the leaf's Authority Information Access URL and ask again: a chain that
//! then verifies is trusted but incomplete. When the server does not send the leaf's issuer,
//! the chain is reported incomplete whatever AIA does: the first pass (nothing fetched yet)
//! already says so, and stands when the fetch brings nothing.

use std::path::Path;
use std::sync::Arc;

use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, Error as TlsError, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use shared::{OcspCertStatus, Trust, TrustIssue, TrustIssueKind};
use time::OffsetDateTime;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::error::ProbeError;
use crate::pki::certificate::{CertificateInfo, rfc3339};

/// The roots the probe trusts: Mozilla's (webpki-roots) plus the operator's CA file.
#[derive(Clone, Debug)]
pub struct TrustStore {
    roots: Arc<RootCertStore>,
    operator_roots: usize,
}

impl TrustStore {
    /// webpki-roots, plus every certificate in the PEM file at `ca_file`.
    pub fn new(ca_file: Option<&Path>) -> Result<Self, ProbeError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let mut operator_roots = 0;
        if let Some(path) = ca_file {
            use rustls_pki_types::pem::PemObject;
            let fail = |reason: String| ProbeError::CaFile {
                path: path.display().to_string(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<_, _>>()
                .map_err(|e| fail(format!("not a PEM certificate file: {e}")))?;
            let (added, ignored) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(fail(format!(
                    "no usable CA certificate in it ({ignored} unusable)"
                )));
            }
            operator_roots = added;
        }
        Ok(Self {
            roots: Arc::new(roots),
            operator_roots,
        })
    }

    /// Roots added from the operator's CA file.
    /// The roots themselves (for connections of the probe's own, such as webhooks).
    pub fn roots(&self) -> Arc<RootCertStore> {
        self.roots.clone()
    }

    pub fn operator_roots(&self) -> usize {
        self.operator_roots
    }
}

/// The outcome of [`assess`]: the report's trust section, and what the caller could do next.
#[derive(Debug)]
pub struct Assessment {
    pub trust: Trust,
    /// The path fails for an unknown issuer that the leaf's AIA may supply: fetch these and
    /// call [`assess`] again with the result.
    pub fetch_issuer_from: Vec<String>,
    /// A check that could not run (e.g. an unreadable OCSP response).
    pub errors: Vec<String>,
}

/// Judges `chain` (as presented, leaf first; `fetched` are intermediates found through AIA)
/// for `name` at `now`.
pub fn assess(
    chain: &[CertificateInfo],
    fetched: &[CertificateDer<'static>],
    ocsp_response: Option<&[u8]>,
    name: &ServerName<'_>,
    now: OffsetDateTime,
    store: &TrustStore,
) -> Assessment {
    let mut issues = Vec::new();
    let mut errors = Vec::new();
    let Some(leaf) = chain.first() else {
        return Assessment {
            trust: Trust {
                trusted: false,
                name_matches: false,
                chain_complete: None,
                issues: vec![TrustIssue {
                    kind: TrustIssueKind::NoCertificate,
                    message: "the server sent no certificate".into(),
                }],
                anchor: None,
                ocsp: None,
            },
            fetch_issuer_from: Vec::new(),
            errors,
        };
    };
    let parsed = match ParsedCertificate::try_from(&leaf.der) {
        Ok(parsed) => parsed,
        Err(e) => {
            let (kind, message) = if leaf.der.len() > WEBPKI_MAX_CERTIFICATE_LEN {
                // Valid DER, only too large for webpki's two-byte length limit.
                let message = format!(
                    "the certificate is {} bytes, over the 64 KiB that webpki (the verifier of rustls-based \
                     clients, and of this probe) parses: such clients reject it outright, and its path to a \
                     trusted root could not be checked",
                    leaf.der.len()
                );
                (TrustIssueKind::CertificateTooLarge, message)
            } else {
                (
                    TrustIssueKind::Unsupported,
                    format!("the certificate cannot be used: {e}"),
                )
            };
            issues.push(TrustIssue { kind, message });
            // The dates can still be judged, and whether the name is listed as it is.
            validity_now(chain, now, &mut issues);
            let host = server_name_text(name);
            let listed = leaf
                .summary
                .subject_alt_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&host));
            return Assessment {
                trust: Trust {
                    trusted: false,
                    name_matches: listed,
                    chain_complete: None,
                    issues,
                    anchor: None,
                    ocsp: None,
                },
                fetch_issuer_from: Vec::new(),
                errors,
            };
        }
    };
    let algorithms = rustls::crypto::aws_lc_rs::default_provider()
        .signature_verification_algorithms
        .all;

    // 1. The path, at a moment when every presented certificate is valid.
    let presented: Vec<CertificateDer<'static>> =
        chain[1..].iter().map(|c| c.der.clone()).collect();
    let moment = neutral_moment(chain);
    let path = |intermediates: &[CertificateDer<'static>]| {
        verify_server_cert_signed_by_trust_anchor(
            &parsed,
            &store.roots,
            intermediates,
            unix(moment),
            algorithms,
        )
    };
    let mut chain_complete = None;
    let mut fetch_issuer_from = Vec::new();
    let mut path_ok = false;
    match path(&presented) {
        Ok(()) => {
            chain_complete = Some(true);
            path_ok = true;
        }
        Err(first) => {
            let with_fetched: Vec<CertificateDer<'static>> =
                presented.iter().chain(fetched).cloned().collect();
            let leaf_issuer_missing = leaf_issuer_missing(chain, store);
            if !fetched.is_empty() && path(&with_fetched).is_ok() {
                chain_complete = Some(false);
                path_ok = true;
                issues.push(TrustIssue {
                    kind: TrustIssueKind::IncompleteChain,
                    message: format!(
                        "the server does not send the intermediate certificate that issued '{}'; it was fetched \
                         from the certificate's caIssuers URL (Authority Information Access), which browsers may \
                         do but most other clients (and Firefox, for intermediates it has not seen) do not: they \
                         will fail",
                        missing_issuer(chain, leaf_issuer_missing)
                    ),
                });
            } else {
                let is_unknown_issuer = matches!(
                    first,
                    TlsError::InvalidCertificate(CertificateError::UnknownIssuer)
                );
                if is_unknown_issuer && fetched.is_empty() && !leaf.summary.self_signed {
                    fetch_issuer_from = issuer_urls(chain, leaf_issuer_missing);
                }
                // The leaf's issuer is not sent: that is the fix the operator needs, whatever
                // AIA then does (no URL, a failed fetch, a certificate that does not verify).
                if leaf_issuer_missing {
                    chain_complete = Some(false);
                    issues.push(TrustIssue {
                        kind: TrustIssueKind::IncompleteChain,
                        message: format!(
                            "the server does not send the certificate that issued the certificate ('{}': an \
                             intermediate, unless it is a root this probe does not trust), and {}",
                            leaf.summary.issuer,
                            unrescued_because(leaf, fetched)
                        ),
                    });
                }
                issues.push(path_issue(&first, chain));
            }
        }
    }

    // 2. Validity now, for the leaf and the intermediates it came with.
    validity_now(chain, now, &mut issues);

    // 3. The name.
    let name_matches = rustls::client::verify_server_name(&parsed, name).is_ok();
    if !name_matches {
        let names = if leaf.summary.subject_alt_names.is_empty() {
            "no names at all (no subjectAltName)".to_owned()
        } else {
            leaf.summary.subject_alt_names.join(", ")
        };
        issues.push(TrustIssue {
            kind: TrustIssueKind::NameMismatch,
            message: format!(
                "the certificate is for {names}, not for {}",
                server_name_text(name)
            ),
        });
    }

    // 4. The stapled OCSP response.
    let mut ocsp = None;
    if let Some(response) = ocsp_response.filter(|r| !r.is_empty()) {
        let issuer = find_issuer(leaf, &chain[1..], fetched);
        match crate::pki::ocsp::read_stapled(
            response,
            &leaf.der,
            issuer.as_ref().map(|c| c.as_ref()),
        ) {
            Ok(status) => {
                if status.status == OcspCertStatus::Revoked {
                    if status.signature_valid {
                        issues.push(TrustIssue {
                            kind: TrustIssueKind::Revoked,
                            message: format!(
                                "the stapled OCSP response says the certificate was revoked{}",
                                status
                                    .revoked_at
                                    .as_deref()
                                    .map(|at| format!(" on {at}"))
                                    .unwrap_or_default()
                            ),
                        });
                    } else {
                        errors.push("the stapled OCSP response says \"revoked\" but its signature does not verify".into());
                    }
                }
                ocsp = Some(status);
            }
            Err(e) => errors.push(e),
        }
    }

    let anchor = path_ok
        .then(|| anchor_subject(chain, fetched, store))
        .flatten();
    let trusted = path_ok
        && !issues.iter().any(|i| {
            !matches!(
                i.kind,
                TrustIssueKind::IncompleteChain | TrustIssueKind::NameMismatch
            )
        });
    Assessment {
        trust: Trust {
            trusted,
            name_matches,
            chain_complete,
            issues,
            anchor,
            ocsp,
        },
        fetch_issuer_from,
        errors,
    }
}

/// The largest certificate webpki parses (its DER lengths are at most two bytes).
const WEBPKI_MAX_CERTIFICATE_LEN: usize = 0xffff;

/// Pass 2: validity now, for the leaf and the intermediates it came with.
fn validity_now(chain: &[CertificateInfo], now: OffsetDateTime, issues: &mut Vec<TrustIssue>) {
    for (index, cert) in chain.iter().enumerate() {
        if index > 0 && cert.summary.self_signed {
            continue; // A root sent along is ignored by clients; its dates do not matter.
        }
        let which = if index == 0 {
            "the certificate".to_owned()
        } else {
            format!("the intermediate '{}'", display_name(cert))
        };
        if now > cert.not_after {
            let days = (now - cert.not_after).whole_days();
            issues.push(TrustIssue {
                kind: TrustIssueKind::Expired,
                message: format!(
                    "{which} expired on {} ({})",
                    rfc3339(cert.not_after),
                    days_ago(days)
                ),
            });
        } else if now < cert.not_before {
            let days = (cert.not_before - now).whole_days();
            issues.push(TrustIssue {
                kind: TrustIssueKind::NotYetValid,
                message: format!(
                    "{which} is not valid until {} ({})",
                    rfc3339(cert.not_before),
                    in_days(days)
                ),
            });
        }
    }
}

fn unix(at: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        at.unix_timestamp().max(0) as u64
    ))
}

/// The certificates whose dates matter: the leaf and the intermediates sent with it (a root
/// sent along is ignored by clients, and so are its dates).
fn dated(chain: &[CertificateInfo]) -> impl Iterator<Item = (usize, &CertificateInfo)> {
    chain
        .iter()
        .enumerate()
        .filter(|(index, cert)| *index == 0 || !cert.summary.self_signed)
}

/// A moment inside every dated certificate's validity (the latest notBefore) when there is
/// one; else the middle of the leaf's validity.
fn neutral_moment(chain: &[CertificateInfo]) -> OffsetDateTime {
    let latest_start = dated(chain).map(|(_, c)| c.not_before).max();
    let earliest_end = dated(chain).map(|(_, c)| c.not_after).min();
    match (latest_start, earliest_end) {
        (Some(start), Some(end)) if start < end => start + time::Duration::seconds(1),
        _ => {
            let leaf = &chain[0];
            leaf.not_before + (leaf.not_after - leaf.not_before) / 2
        }
    }
}

/// Which certificate ends before which begins, when the validity periods never overlap.
fn disjoint_message(chain: &[CertificateInfo]) -> String {
    let which = |index: usize, cert: &CertificateInfo| {
        if index == 0 {
            "the certificate".to_owned()
        } else {
            format!("the intermediate '{}'", display_name(cert))
        }
    };
    let ends_first = dated(chain).min_by_key(|(_, c)| c.not_after);
    let starts_last = dated(chain).max_by_key(|(_, c)| c.not_before);
    match (ends_first, starts_last) {
        (Some((a, first)), Some((b, last))) if first.not_after <= last.not_before => format!(
            "the chain's validity periods never overlap: {} ends on {}, before {} begins on {}; the chain \
             was never valid as a whole, so its path to a root could not be checked at any moment",
            which(a, first),
            rfc3339(first.not_after),
            which(b, last),
            rfc3339(last.not_before)
        ),
        _ => "a certificate the chain needs is not valid at any moment when the ones the server sent are: \
              the chain was never valid as a whole"
            .to_owned(),
    }
}

fn path_issue(error: &TlsError, chain: &[CertificateInfo]) -> TrustIssue {
    let leaf = &chain[0];
    let (kind, message) = match error {
        TlsError::InvalidCertificate(e) => match e {
            CertificateError::UnknownIssuer if leaf.summary.self_signed => (
                TrustIssueKind::SelfSigned,
                "the certificate is self-signed: it vouches for itself, and no trusted authority vouches for it".to_owned(),
            ),
            CertificateError::UnknownIssuer => (
                TrustIssueKind::UnknownIssuer,
                format!(
                    "the chain does not lead to a trusted root: nothing trusted vouches for '{}'",
                    chain.last().map(|c| c.summary.issuer.as_str()).unwrap_or_default()
                ),
            ),
            CertificateError::BadSignature => {
                (TrustIssueKind::BadSignature, "a signature in the chain does not verify".to_owned())
            }
            CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => (
                TrustIssueKind::BadSignature,
                "a certificate in the chain is signed with an algorithm browsers no longer accept (e.g. SHA-1, MD5, or \
                 RSA under 2048 bits)"
                    .to_owned(),
            ),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => (
                TrustIssueKind::InvalidPurpose,
                "a certificate in the chain may not be used to authenticate a TLS server (extended key usage)".to_owned(),
            ),
            // The path is checked at a moment when every presented certificate is valid; a
            // time error there means no such moment exists. That is a fact about the chain,
            // not about any certificate now (pass 2 says which one is expired or not yet
            // valid), so it gets its own kind.
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => {
                (TrustIssueKind::ValidityDisjoint, disjoint_message(chain))
            }
            // A self-signed certificate with CA:TRUE (what `openssl req -x509` makes).
            _ if leaf.summary.self_signed => (
                TrustIssueKind::SelfSigned,
                "the certificate is self-signed: it vouches for itself, and no trusted authority vouches for it"
                    .to_owned(),
            ),
            other => (TrustIssueKind::Other, format!("the chain does not verify: {}", TlsError::InvalidCertificate(other.clone()))),
        },
        other => (TrustIssueKind::Other, format!("the chain does not verify: {other}")),
    };
    TrustIssue { kind, message }
}

/// The caIssuers URLs of the certificate whose issuer is missing: the leaf's when the server
/// does not send its issuer, else the top certificate's.
fn issuer_urls(chain: &[CertificateInfo], leaf_issuer_missing: bool) -> Vec<String> {
    let orphan = if leaf_issuer_missing {
        chain.first()
    } else {
        chain.last()
    };
    orphan
        .map(|c| c.summary.ca_issuer_urls.clone())
        .unwrap_or_default()
}

/// The subject of the issuer the server left out.
fn missing_issuer(chain: &[CertificateInfo], leaf_issuer_missing: bool) -> &str {
    let orphan = if leaf_issuer_missing {
        chain.first()
    } else {
        chain.last()
    };
    orphan
        .map(|c| c.summary.issuer.as_str())
        .unwrap_or_default()
}

/// True when the leaf is not self-signed, no certificate the server sent issued it, and no
/// trusted root has its issuer's name: an intermediate is missing.
fn leaf_issuer_missing(chain: &[CertificateInfo], store: &TrustStore) -> bool {
    let Some(leaf) = chain.first() else {
        return false;
    };
    !leaf.summary.self_signed
        && !chain[1..].iter().any(|c| c.subject_der == leaf.issuer_der)
        && !is_anchor_subject(store, &leaf.issuer_der)
}

/// Why AIA did not complete the chain, as far as this pass can tell: `fetched` is what the
/// caller fetched from the leaf's caIssuers URLs (empty before a fetch or when it failed).
fn unrescued_because(leaf: &CertificateInfo, fetched: &[CertificateDer<'static>]) -> String {
    let urls = &leaf.summary.ca_issuer_urls;
    if urls.is_empty() {
        "the certificate names no caIssuers URL (Authority Information Access) to fetch it from, so no \
         client can complete the chain"
            .to_owned()
    } else if fetched.is_empty() {
        format!(
            "it could not be fetched from the certificate's caIssuers URL ({}), so no client can complete the \
             chain",
            urls.join(", ")
        )
    } else {
        format!(
            "what the certificate's caIssuers URL ({}) serves does not complete the chain to a trusted root",
            urls.join(", ")
        )
    }
}

/// True when a trusted root has `name` (a DER Name, with its header) as its subject.
fn is_anchor_subject(store: &TrustStore, name: &[u8]) -> bool {
    let content = der_content(name);
    store
        .roots
        .roots
        .iter()
        .any(|anchor| Some(anchor.subject.as_ref()) == content || anchor.subject.as_ref() == name)
}

/// The certificate that issued `leaf`, among those sent and fetched.
fn find_issuer(
    leaf: &CertificateInfo,
    presented: &[CertificateInfo],
    fetched: &[CertificateDer<'static>],
) -> Option<CertificateDer<'static>> {
    if let Some(found) = presented.iter().find(|c| c.subject_der == leaf.issuer_der) {
        return Some(found.der.clone());
    }
    let now = OffsetDateTime::now_utc();
    fetched
        .iter()
        .find(|der| {
            CertificateInfo::parse(der, now).is_ok_and(|c| c.subject_der == leaf.issuer_der)
        })
        .cloned()
}

/// The subject of the trust anchor the chain ends at, found by following issuer names.
fn anchor_subject(
    chain: &[CertificateInfo],
    fetched: &[CertificateDer<'static>],
    store: &TrustStore,
) -> Option<String> {
    let now = OffsetDateTime::now_utc();
    let mut all: Vec<CertificateInfo> = chain.to_vec();
    all.extend(
        fetched
            .iter()
            .filter_map(|d| CertificateInfo::parse(d, now).ok()),
    );
    let mut current = &all[0];
    for _ in 0..all.len() {
        match all
            .iter()
            .find(|c| c.subject_der == current.issuer_der && c.subject_der != current.subject_der)
        {
            Some(next) => current = next,
            None => break,
        }
    }
    let issuer = &current.issuer_der;
    is_anchor_subject(store, issuer)
        .then(|| {
            X509Name::from_der(issuer)
                .map(|(_, name)| name.to_string())
                .ok()
        })
        .flatten()
}

/// The content octets of a DER TLV.
fn der_content(der: &[u8]) -> Option<&[u8]> {
    let first = *der.get(1)?;
    let header = if first < 0x80 {
        2
    } else {
        2 + usize::from(first & 0x7f)
    };
    der.get(header..)
}

fn display_name(cert: &CertificateInfo) -> &str {
    cert.summary
        .common_name
        .as_deref()
        .unwrap_or(&cert.summary.subject)
}

fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

fn days_ago(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

fn in_days(days: i64) -> String {
    match days {
        0 => "later today".into(),
        1 => "in 1 day".into(),
        n => format!("in {n} days"),
    }
}

#[cfg(test)]
mod tests {
    //! The trust passes over chains from the test PKI: no network.

    use testbed::{LeafSpec, TestPki};
    use time::{Date, Duration, Month};

    use super::*;

    fn day(year: i32, month: Month, day: u8) -> OffsetDateTime {
        Date::from_calendar_date(year, month, day)
            .unwrap()
            .midnight()
            .assume_utc()
    }

    fn judge(pki: &TestPki, chain: &[CertificateDer<'static>], name: &str) -> Assessment {
        judge_with(pki, chain, &[], name)
    }

    fn judge_with(
        pki: &TestPki,
        chain: &[CertificateDer<'static>],
        fetched: &[CertificateDer<'static>],
        name: &str,
    ) -> Assessment {
        let now = OffsetDateTime::now_utc();
        let infos: Vec<CertificateInfo> = chain
            .iter()
            .map(|der| CertificateInfo::parse(der, now).unwrap())
            .collect();
        let store = TrustStore::new(Some(pki.root_pem())).unwrap();
        let name = ServerName::try_from(name.to_owned()).unwrap();
        assess(&infos, fetched, None, &name, now, &store)
    }

    fn kinds(assessment: &Assessment) -> Vec<TrustIssueKind> {
        assessment.trust.issues.iter().map(|i| i.kind).collect()
    }

    #[test]
    fn an_old_leaf_under_a_young_intermediate_is_expired_not_not_yet_valid() {
        let now = OffsetDateTime::now_utc();
        let pki =
            TestPki::with_intermediate_validity(now - Duration::days(7), now + Duration::days(365));
        let leaf = pki.leaf(&LeafSpec {
            not_before: day(2020, Month::January, 1),
            not_after: day(2021, Month::January, 1),
            ..LeafSpec::valid("old.test")
        });
        let judged = judge(&pki, &[leaf.cert_der, pki.intermediate_der()], "old.test");
        let found = kinds(&judged);
        assert!(!found.contains(&TrustIssueKind::NotYetValid), "{found:?}");
        assert_eq!(
            found,
            [TrustIssueKind::ValidityDisjoint, TrustIssueKind::Expired]
        );
        let disjoint = &judged.trust.issues[0].message;
        assert!(
            disjoint.contains("the certificate ends on 2021-01-01")
                && disjoint.contains("the intermediate 'Probe Test Intermediate' begins on"),
            "{disjoint}"
        );
        assert!(!judged.trust.trusted);
    }

    #[test]
    fn an_expired_leaf_whose_dates_meet_the_intermediate_is_only_expired() {
        let pki = TestPki::new();
        let leaf = pki.leaf(&LeafSpec::expired("old.test", 3));
        let judged = judge(&pki, &[leaf.cert_der, pki.intermediate_der()], "old.test");
        assert_eq!(kinds(&judged), [TrustIssueKind::Expired]);
        assert_eq!(judged.trust.chain_complete, Some(true));
    }

    fn incomplete_message(assessment: &Assessment) -> &str {
        &assessment
            .trust
            .issues
            .iter()
            .find(|i| i.kind == TrustIssueKind::IncompleteChain)
            .expect("an incomplete-chain issue")
            .message
    }

    #[test]
    fn a_leaf_without_its_issuer_or_an_aia_url_is_incomplete_and_untrusted() {
        let pki = TestPki::new();
        let leaf = pki.leaf(&LeafSpec::valid("lonely.test"));
        let judged = judge(&pki, &[leaf.cert_der], "lonely.test");
        assert_eq!(
            kinds(&judged),
            [
                TrustIssueKind::IncompleteChain,
                TrustIssueKind::UnknownIssuer
            ]
        );
        assert_eq!(judged.trust.chain_complete, Some(false));
        assert!(!judged.trust.trusted);
        assert!(judged.fetch_issuer_from.is_empty(), "nothing to fetch");
        let message = incomplete_message(&judged);
        assert!(
            message.contains("Probe Test Intermediate")
                && message.contains("names no caIssuers URL"),
            "{message}"
        );
    }

    #[test]
    fn a_leaf_whose_aia_fetch_brings_nothing_is_incomplete_and_untrusted() {
        let pki = TestPki::new();
        let url = "http://127.0.0.1:9/intermediate.der";
        let leaf = pki.leaf(&LeafSpec {
            ca_issuers_url: Some(url.into()),
            ..LeafSpec::valid("partial.test")
        });
        let judged = judge(&pki, &[leaf.cert_der], "partial.test");
        assert_eq!(judged.fetch_issuer_from, [url]);
        assert!(!judged.trust.trusted);
        let message = incomplete_message(&judged);
        assert!(
            message.contains("could not be fetched") && message.contains(url),
            "{message}"
        );
    }

    #[test]
    fn a_fetched_certificate_that_does_not_verify_leaves_it_incomplete_and_untrusted() {
        let pki = TestPki::new();
        let stranger = TestPki::new();
        let leaf = pki.leaf(&LeafSpec {
            ca_issuers_url: Some("http://127.0.0.1:9/intermediate.der".into()),
            ..LeafSpec::valid("partial.test")
        });
        let judged = judge_with(
            &pki,
            &[leaf.cert_der],
            &[stranger.intermediate_der()],
            "partial.test",
        );
        assert_eq!(
            kinds(&judged),
            [
                TrustIssueKind::IncompleteChain,
                TrustIssueKind::UnknownIssuer
            ]
        );
        assert!(!judged.trust.trusted);
        assert!(
            incomplete_message(&judged).contains("does not complete the chain"),
            "{}",
            incomplete_message(&judged)
        );
    }

    #[test]
    fn a_fetched_intermediate_that_completes_the_chain_is_trusted_but_incomplete() {
        let pki = TestPki::new();
        let leaf = pki.leaf(&LeafSpec {
            ca_issuers_url: Some("http://127.0.0.1:9/intermediate.der".into()),
            ..LeafSpec::valid("partial.test")
        });
        let judged = judge_with(
            &pki,
            &[leaf.cert_der],
            &[pki.intermediate_der()],
            "partial.test",
        );
        assert_eq!(kinds(&judged), [TrustIssueKind::IncompleteChain]);
        assert!(judged.trust.trusted);
        assert_eq!(judged.trust.chain_complete, Some(false));
        assert!(
            incomplete_message(&judged).contains("Probe Test Intermediate"),
            "{}",
            incomplete_message(&judged)
        );
    }

    #[test]
    fn a_valid_chain_has_no_issue() {
        let pki = TestPki::new();
        let leaf = pki.leaf(&LeafSpec::valid("good.test"));
        let judged = judge(&pki, &[leaf.cert_der, pki.intermediate_der()], "good.test");
        assert!(judged.trust.trusted, "{:?}", judged.trust.issues);
        assert!(kinds(&judged).is_empty());
    }
}
