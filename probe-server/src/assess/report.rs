//! From what the stages saw, plus the scan's own metadata, to a `shared::Report`:
//! observations → checks → rating → report. Quick and full scans assemble the same way; a
//! quick one knows less.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use shared::{
    CheckError, Connection, Features, HttpInfo, KeyExchange, ProtocolSupport, ProtocolVersion,
    Report, ScanMode, Step, TargetInfo, Trust,
};
use time::OffsetDateTime;

use super::observations::{AttackProbes, Observations};
use super::rating::{self, RatingInput};
use super::{checks, vulnerabilities};
use crate::pki::certificate::{CertificateInfo, rfc3339};
use crate::pki::{JudgedChain, OtherChain};
use crate::survey::SurveyResult;
use crate::verified::stage::VerifiedStage;

/// What goes into a report.
#[derive(Debug)]
pub(crate) struct Assembly {
    mode: ScanMode,
    target: TargetInfo,
    scanned_at: OffsetDateTime,
    duration: Duration,
    connections: u32,
    certificates: Vec<CertificateInfo>,
    trust: Trust,
    connection: Option<Connection>,
    protocols: Vec<ProtocolSupport>,
    http: Option<HttpInfo>,
    key_exchange: KeyExchange,
    features: Features,
    attacks: AttackProbes,
    /// The handshake simulation (full scans), before the certificates' limits are applied
    /// (in [`assemble`], once every chain the server serves is known).
    simulated: Vec<crate::survey::simulation::Simulated>,
    errors: Vec<CheckError>,
    /// The name's DNS records and preload entry (see [`Assembly::with_site`]).
    site: SiteFacts,
    /// Certificate Transparency (see [`Assembly::with_ct`]).
    ct: Option<shared::CertificateTransparency>,
    /// The server's other chains (see [`Assembly::with_other_chains`]).
    other_chains: Vec<OtherChain>,
}

/// What the scan learnt about the name rather than the endpoint.
#[derive(Debug, Clone, Default)]
pub(crate) struct SiteFacts {
    /// CAA and HTTPS records (full scans of a name), not yet judged against the leaf.
    pub dns: Option<shared::DnsPolicy>,
    pub hsts_preload: Option<shared::HstsPreload>,
}

impl Assembly {
    pub(crate) fn quick(
        stage: &VerifiedStage,
        judged: Option<&JudgedChain>,
        target: TargetInfo,
        scanned_at: OffsetDateTime,
        started: Instant,
        connections: &AtomicU32,
    ) -> Self {
        let protocols = ProtocolVersion::ALL
            .iter()
            .map(|&version| ProtocolSupport {
                version,
                supported: match version {
                    ProtocolVersion::Tls13 => stage.tls13,
                    ProtocolVersion::Tls12 => stage.tls12,
                    _ => None,
                },
                cipher_suites: Vec::new(),
                server_preference: None,
                intolerance: None,
            })
            .collect();
        let connection = stage.connection.clone();
        Self {
            mode: ScanMode::Quick,
            target,
            scanned_at,
            duration: started.elapsed(),
            connections: connections.load(Ordering::Relaxed),
            certificates: judged.map(|j| j.certificates.clone()).unwrap_or_default(),
            trust: judged.map_or_else(no_trust, |j| j.trust.clone()),
            features: {
                let mut features = Features {
                    ocsp_stapling: connection.as_ref().map(|c| c.ocsp_stapled),
                    alpn: stage.alpn.clone(),
                    ..Features::default()
                };
                if let Some(sessions) = stage.tls13_sessions {
                    sessions.to_features(&mut features);
                }
                features
            },
            connection,
            protocols,
            http: stage.http.clone(),
            key_exchange: KeyExchange::default(),
            attacks: AttackProbes::default(),
            simulated: Vec::new(),
            errors: stage.errors.clone(),
            site: SiteFacts::default(),
            ct: None,
            other_chains: Vec::new(),
        }
    }

    #[allow(clippy::too_many_arguments)] // One call site; the pieces of one report.
    pub(crate) fn full(
        stage: &VerifiedStage,
        judged: Option<&JudgedChain>,
        survey: SurveyResult,
        target: TargetInfo,
        scanned_at: OffsetDateTime,
        started: Instant,
        connections: &AtomicU32,
    ) -> Self {
        let mut errors = stage.errors.clone();
        errors.extend(survey.errors.iter().cloned());
        // The verified handshake is ground truth: a version rustls negotiated is supported
        // whatever a raw hello made of it.
        let mut protocols = survey.protocols.clone();
        for (version, seen) in [
            (ProtocolVersion::Tls13, stage.tls13),
            (ProtocolVersion::Tls12, stage.tls12),
        ] {
            if seen == Some(true)
                && let Some(p) = protocols
                    .iter_mut()
                    .find(|p| p.version == version && p.supported != Some(true))
            {
                {
                    errors.push(CheckError {
                        check: Step::Protocol(version).to_string(),
                        message: format!(
                            "a modern client negotiated {} but raw hellos were refused",
                            version.display_name()
                        ),
                    });
                    p.supported = Some(true);
                }
            }
        }
        if survey.went_sequential {
            errors.push(CheckError {
                check: Step::Concurrency.to_string(),
                message: "the server refused or dropped parallel connections; the scan went on one at a time".into(),
            });
        }
        let verified_resumed = stage.connection.as_ref().and_then(|c| c.session_resumed);
        let mut features = Features {
            ocsp_stapling: match (
                stage.connection.as_ref().map(|c| c.ocsp_stapled),
                survey.features.ocsp_stapling,
            ) {
                (Some(a), Some(b)) => Some(a || b),
                (a, b) => a.or(b),
            },
            // TLS 1.3 resumes only with tickets.
            session_tickets: match (
                survey.features.session_tickets,
                stage.tls13 == Some(true) && verified_resumed == Some(true),
            ) {
                (_, true) => Some(true),
                (seen, false) => seen,
            },
            alpn: stage.alpn.clone(),
            ..survey.features.clone()
        };
        if let Some(sessions) = stage.tls13_sessions {
            sessions.to_features(&mut features);
        }
        Self {
            mode: ScanMode::Full,
            target,
            scanned_at,
            duration: started.elapsed(),
            connections: connections.load(Ordering::Relaxed),
            certificates: judged.map(|j| j.certificates.clone()).unwrap_or_default(),
            trust: judged.map_or_else(no_trust, |j| j.trust.clone()),
            connection: stage.connection.clone(),
            protocols,
            http: stage.http.clone(),
            key_exchange: survey.key_exchange,
            features,
            attacks: survey.attacks,
            simulated: survey.simulations,
            errors,
            site: SiteFacts::default(),
            ct: None,
            other_chains: Vec::new(),
        }
    }

    /// The same, with the leaf's Certificate Transparency (judged by the scan, which holds
    /// the log list).
    pub(crate) fn with_ct(mut self, ct: Option<shared::CertificateTransparency>) -> Self {
        self.ct = ct;
        self
    }

    /// The same, with what the scan learnt about the name.
    pub(crate) fn with_site(mut self, site: SiteFacts) -> Self {
        self.site = site;
        self
    }

    /// The same, with the other chains the server serves (judged).
    pub(crate) fn with_other_chains(mut self, other_chains: Vec<OtherChain>) -> Self {
        self.other_chains = other_chains;
        self
    }
}

/// The site's policy facts, CAA judged against the leaf's issuer.
fn policy(site: SiteFacts, certificates: &[CertificateInfo], host: &str) -> shared::Policy {
    let leaf = certificates.first();
    let dns = site.dns.map(|mut dns| {
        if let Some(leaf) = leaf {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            let names = &leaf.summary.subject_alt_names;
            // Covered only through a wildcard: CAA's issuewild governs.
            let wildcard = !names.iter().any(|n| n.eq_ignore_ascii_case(&host))
                && host.split_once('.').is_some_and(|(_, parent)| {
                    names
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(&format!("*.{parent}")))
                });
            crate::pki::caa::judge(&mut dns.caa, leaf.der.as_ref(), wildcard);
        }
        dns
    });
    shared::Policy {
        dns,
        hsts_preload: site.hsts_preload,
        must_staple: leaf.is_some_and(|l| l.must_staple),
    }
}

fn no_trust() -> Trust {
    Trust {
        trusted: false,
        name_matches: false,
        chain_complete: None,
        issues: vec![shared::TrustIssue {
            kind: shared::TrustIssueKind::NoCertificate,
            message: "no certificate was seen".into(),
        }],
        anchor: None,
        ocsp: None,
    }
}

/// Observations → checks → rating → report.
pub(crate) fn assemble(a: Assembly) -> Report {
    let policy = policy(a.site, &a.certificates, &a.target.host);
    // The handshake simulation, the certificates' limits applied (key type and size): a
    // server with several chains serves each client one it can use.
    let leaves: Vec<&CertificateInfo> = a
        .certificates
        .first()
        .into_iter()
        .chain(
            a.other_chains
                .iter()
                .filter_map(|o| o.judged.certificates.first()),
        )
        .collect();
    let simulations = crate::survey::simulation::report(&a.simulated, &leaves);
    let observations = Observations {
        policy,
        ct: a.ct,
        now: OffsetDateTime::now_utc(),
        mode: a.mode,
        target: a.target,
        certificates: a.certificates,
        trust: a.trust,
        connection: a.connection,
        protocols: a.protocols,
        http: a.http,
        key_exchange: a.key_exchange,
        features: a.features,
        attacks: a.attacks,
        simulations,
        other_chains: a.other_chains,
    };
    let findings = checks::run_all(&observations);
    let hsts_long_enough = observations
        .http
        .as_ref()
        .and_then(|h| h.hsts.as_ref())
        .and_then(|h| h.max_age)
        .is_some_and(|age| age >= checks::HSTS_MIN_MAX_AGE);
    let complete = a.mode == ScanMode::Full && a.errors.is_empty();
    let score = rating::score(&observations);
    let (grade, rating) = rating::rate(&RatingInput {
        findings: &findings,
        score,
        hsts_long_enough,
        complete,
    });
    let vulnerabilities = vulnerabilities::assess(&observations, &findings);
    Report {
        schema_version: shared::SCHEMA_VERSION.to_owned(),
        probe_version: env!("CARGO_PKG_VERSION").to_owned(),
        scan_mode: a.mode,
        scanned_at: rfc3339(a.scanned_at),
        duration_ms: a.duration.as_millis() as u64,
        connections: a.connections,
        // Filled in by the scan when it covered several addresses.
        endpoints: Vec::new(),
        compliance: (a.mode == ScanMode::Full)
            .then(|| super::compliance::assess(&observations, &a.errors)),
        target: observations.target,
        grade,
        rating,
        connection: observations.connection,
        protocols: observations.protocols,
        key_exchange: observations.key_exchange,
        features: observations.features,
        vulnerabilities,
        certificates: observations
            .certificates
            .into_iter()
            .map(|c| c.summary)
            .collect(),
        trust: observations.trust,
        http: observations.http,
        simulations: observations.simulations,
        findings,
        errors: a.errors,
        policy: Some(observations.policy).filter(|p| *p != shared::Policy::default()),
        ct: observations.ct,
        other_chains: observations
            .other_chains
            .into_iter()
            .map(|other| shared::ServedChain {
                key_type: other.key_type,
                served_to: other.served_to,
                certificates: other
                    .judged
                    .certificates
                    .into_iter()
                    .map(|c| c.summary)
                    .collect(),
                trust: other.judged.trust,
            })
            .collect(),
    }
}
