//! Judging a chain, and completing it through AIA when the server left an intermediate out.
//!
//! The fetch is the one connection a scan makes on the word of the server (its
//! certificate's caIssuers URL), so it asks [`Egress::issuer`] like every other connection
//! (ports 80, 443 and the operator's list; no private address for a public site), takes a
//! slot of the scan's connection cap, and reports a failure as "could not be fetched"
//! without the socket's own words: a refused, reset or silent port must read the same, or
//! the probe becomes a port scanner for whoever writes the certificate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use shared::{CheckError, Step};
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use super::Scanner;
use crate::pki::JudgedChain;
use crate::pki::certificate::CertificateInfo;
use crate::pki::trust;
use crate::target::egress::Endpoint;
use crate::target::names::{ScanNames, host_header};
use crate::target::{Host, Target};
use crate::verified::http;

/// Issuer URLs fetched at most per chain.
const MAX_ISSUER_FETCHES: usize = 2;
/// The largest issuer certificate (or PEM bundle) read.
const MAX_ISSUER_BYTES: usize = 64 * 1024;

/// What the chain judgement needs from the scan.
pub(super) struct ChainContext<'a> {
    pub names: &'a ScanNames,
    /// The scanned server (issuer URLs are judged against it).
    pub endpoint: &'a Endpoint,
    /// The scan's connection cap.
    pub slots: &'a Arc<Semaphore>,
    pub connections: &'a AtomicU32,
}

/// Why an issuer could not be fetched, as the report says it.
#[derive(Debug, thiserror::Error)]
enum IssuerFetchError {
    #[error("{0}")]
    Url(&'static str),
    #[error("{0}")]
    Refused(crate::target::egress::EgressError),
    /// The connection or the HTTP exchange failed; the detail goes to the log only.
    #[error("the issuer could not be fetched")]
    Unreachable,
    #[error("the answer is neither a DER nor a PEM certificate")]
    NotACertificate,
}

impl Scanner {
    /// Parses and judges a chain, completing it through AIA when an intermediate is missing.
    pub(super) async fn judge_chain(
        &self,
        chain: &[CertificateDer<'static>],
        ocsp: &[u8],
        context: &ChainContext<'_>,
        errors: &mut Vec<CheckError>,
    ) -> JudgedChain {
        let now = OffsetDateTime::now_utc();
        let mut certificates = Vec::new();
        for (index, der) in chain.iter().enumerate() {
            match CertificateInfo::parse(der, now) {
                Ok(info) => certificates.push(info),
                Err(reason) => errors.push(CheckError {
                    check: Step::Certificate.to_string(),
                    message: format!("certificate {index}: {reason}"),
                }),
            }
        }
        let server_name = &context.names.server_name;
        let mut assessment = trust::assess(
            &certificates,
            &[],
            Some(ocsp),
            server_name,
            now,
            &self.trust,
        );
        if !assessment.fetch_issuer_from.is_empty() {
            let fetched = self
                .fetch_issuers(&assessment.fetch_issuer_from, context, errors)
                .await;
            if !fetched.is_empty() {
                assessment = trust::assess(
                    &certificates,
                    &fetched,
                    Some(ocsp),
                    server_name,
                    now,
                    &self.trust,
                );
            }
        }
        errors.extend(assessment.errors.iter().map(|m| CheckError {
            check: Step::Ocsp.to_string(),
            message: m.clone(),
        }));
        JudgedChain {
            certificates,
            trust: assessment.trust,
            ocsp: ocsp.to_vec(),
        }
    }

    /// Fetches intermediates from AIA caIssuers URLs (plain HTTP only, as CAs publish them).
    async fn fetch_issuers(
        &self,
        urls: &[String],
        context: &ChainContext<'_>,
        errors: &mut Vec<CheckError>,
    ) -> Vec<CertificateDer<'static>> {
        let mut fetched = Vec::new();
        for url in urls.iter().take(MAX_ISSUER_FETCHES) {
            match self.fetch_issuer(url, context).await {
                Ok(mut certs) => fetched.append(&mut certs),
                Err(e) => errors.push(CheckError {
                    check: Step::ChainCompletion.to_string(),
                    message: format!("fetching the issuer from {}: {e}", shown_url(url)),
                }),
            }
        }
        fetched
    }

    async fn fetch_issuer(
        &self,
        url: &str,
        context: &ChainContext<'_>,
    ) -> Result<Vec<CertificateDer<'static>>, IssuerFetchError> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| IssuerFetchError::Url("not a valid URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(IssuerFetchError::Url(
                "only http:// issuer URLs are fetched",
            ));
        }
        let host_text = uri
            .host()
            .ok_or(IssuerFetchError::Url("the URL has no host"))?;
        let host: Host = Target::parse(host_text.trim_start_matches('[').trim_end_matches(']'))
            .map_err(|_| IssuerFetchError::Url("the URL's host is not a valid host name"))?
            .host()
            .clone();
        let port = uri.port_u16().unwrap_or(80);
        let endpoint = self
            .egress
            .issuer(&host, port, context.endpoint, self.timeouts.connect)
            .await
            .map_err(|e| {
                tracing::info!(url, refused_address = ?e.refused_address(), "issuer fetch refused: {e}");
                IssuerFetchError::Refused(e)
            })?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        // The fetch is a connection to some host like any other: it holds a slot of the cap.
        let _slot = context.slots.clone().acquire_owned().await.ok();
        context.connections.fetch_add(1, Ordering::Relaxed);
        let body = http::fetch_plain(
            endpoint.address,
            &host_header(&host),
            path,
            MAX_ISSUER_BYTES,
            self.timeouts.http,
        )
        .await
        .map_err(|e| {
            tracing::info!(url, address = %endpoint.address, "issuer fetch failed: {e}");
            IssuerFetchError::Unreachable
        })?;
        if body.first() == Some(&0x30) {
            return Ok(vec![CertificateDer::from(body)]);
        }
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&body)
            .filter_map(Result::ok)
            .collect();
        if certs.is_empty() {
            return Err(IssuerFetchError::NotACertificate);
        }
        Ok(certs)
    }
}

/// A URL from a certificate as the report shows it: bounded, printable.
fn shown_url(url: &str) -> String {
    const MAX: usize = 200;
    let printable: String = url
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(MAX)
        .collect();
    if url.chars().count() > MAX {
        format!("{printable}…")
    } else {
        printable
    }
}
