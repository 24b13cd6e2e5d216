//! The survey: the full scan's raw handshakes, through our own ClientHello engine ([`wire`]),
//! for everything rustls cannot tell — every protocol version from SSL 2.0 to TLS 1.3, every
//! accepted cipher suite and the server's order, key-exchange groups (post-quantum hybrids
//! included), DH sizes, signature schemes, features, and the active attack tests.
//!
//! Jobs run concurrently under one per-host connection cap ([`prober::Prober`]); phase A
//! needs nothing, phase B needs phase A's answers (which suites and versions to use).
//!
//! [`wire`]: crate::wire

pub mod attacks;
pub mod groups;
pub mod prober;
pub mod sslv2;
pub mod suites;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rustls_pki_types::CertificateDer;
use shared::{CheckError, Features, KeyExchange, ProtocolSupport, ProtocolVersion, ScanProgress};

use self::prober::Prober;
use self::suites::{VersionSurvey, survey_version};
use crate::iana::cipher_suites;
use crate::observations::{AttackProbes, ProbeOutcome};
use crate::scan::{ScanUpdate, UpdateSender};
use crate::wire::ServerFlight;

/// What to survey.
#[derive(Debug, Clone)]
pub struct SurveyRequest {
    pub address: SocketAddr,
    pub server_name: Option<String>,
    /// Connections in flight at most (see [`prober::DEFAULT_CONNECTIONS`]).
    pub connections: usize,
    pub deadline: Instant,
}

/// What the survey found.
#[derive(Debug, Clone, Default)]
pub struct SurveyResult {
    /// Every version, oldest first.
    pub protocols: Vec<ProtocolSupport>,
    pub key_exchange: KeyExchange,
    /// The features raw handshakes show (ALPN and resumption come from the verified client).
    pub features: Features,
    pub attacks: AttackProbes,
    /// The chain from a TLS ≤ 1.2 handshake (for servers no modern client can talk to).
    pub chain: Vec<CertificateDer<'static>>,
    /// The OCSP response stapled in that handshake.
    pub stapled_ocsp: Option<Vec<u8>>,
    pub errors: Vec<CheckError>,
    /// TCP connections the survey opened.
    pub connections: usize,
    /// The server could not take parallel connections and was surveyed one at a time.
    pub went_sequential: bool,
}

/// Reports each finished step to the update channel.
struct Progress<'a> {
    updates: Option<&'a UpdateSender>,
    done: AtomicU32,
    total: u32,
}

impl Progress<'_> {
    fn step(&self, step: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(updates) = self.updates {
            let _ = updates.send(ScanUpdate::Progress(ScanProgress {
                step: step.to_owned(),
                done,
                total: self.total,
            }));
        }
    }
}

/// The steps a survey reports, in the order they usually finish.
const STEPS: u32 = 14;

/// Runs the survey.
pub async fn run(request: &SurveyRequest, updates: Option<&UpdateSender>) -> SurveyResult {
    let prober = Prober::new(
        request.address,
        request.server_name.clone(),
        request.connections,
        request.deadline,
    );
    let progress = Progress {
        updates,
        done: AtomicU32::new(0),
        total: STEPS,
    };
    let versioned = |version: ProtocolVersion| {
        let (prober, progress) = (&prober, &progress);
        async move {
            let survey = survey_version(prober, version).await;
            progress.step(version.as_str());
            survey
        }
    };

    // Phase A: everything that needs no earlier answer.
    let tls13_suites: Vec<u16> = suites::candidates(ProtocolVersion::Tls13);
    let (ssl2, tls13, tls12, tls11, tls10, ssl3, groups13) = tokio::join!(
        async {
            let s = sslv2::probe(&prober).await;
            progress.step("SSLv2");
            s
        },
        versioned(ProtocolVersion::Tls13),
        versioned(ProtocolVersion::Tls12),
        versioned(ProtocolVersion::Tls11),
        versioned(ProtocolVersion::Tls10),
        versioned(ProtocolVersion::Ssl3),
        async {
            let g = groups::tls13_groups(&prober, &tls13_suites).await;
            progress.step("groups");
            g
        },
    );
    let legacy = [
        (ProtocolVersion::Tls12, &tls12),
        (ProtocolVersion::Tls11, &tls11),
        (ProtocolVersion::Tls10, &tls10),
        (ProtocolVersion::Ssl3, &ssl3),
    ];
    // The best TLS ≤ 1.2 version the server speaks, and its suites: the attack tests use it.
    let best_legacy = legacy
        .iter()
        .find(|(_, s)| s.supported == Some(true))
        .map(|(v, s)| (*v, ids(s)));
    let supported: Vec<ProtocolVersion> = [(ProtocolVersion::Tls13, &tls13)]
        .iter()
        .chain(legacy.iter())
        .filter(|(_, s)| s.supported == Some(true))
        .map(|(v, _)| *v)
        .collect();

    // Phase B: what needs phase A's answers.
    let tls12_fs = groups::signed_fs_suites(&ids(&tls12));
    let tls12_ecdhe = groups::ecdhe_suites(&ids(&tls12));
    let need_curves = tls13.supported != Some(true) && !tls12_ecdhe.is_empty();
    let fallback_pair = match supported.as_slice() {
        [highest, lower, ..] => Some((*highest, *lower)),
        _ => None,
    };
    let fallback_suites = fallback_pair.map(|(_, lower)| {
        legacy
            .iter()
            .find(|(v, _)| *v == lower)
            .map(|(_, s)| ids(s))
            .unwrap_or_default()
    });
    let (curves, schemes, heartbleed, ccs, fallback, compression) = tokio::join!(
        async {
            let c = if need_curves {
                Some(groups::tls12_curves(&prober, &tls12_ecdhe).await)
            } else {
                None
            };
            progress.step("curves");
            c
        },
        async {
            let s = if tls12_fs.is_empty() {
                None
            } else {
                Some(groups::tls12_signature_schemes(&prober, &tls12_fs).await)
            };
            progress.step("signature-algorithms");
            s
        },
        async {
            let h = match &best_legacy {
                Some((v, s)) => Some(attacks::heartbleed(&prober, *v, s).await),
                None => None,
            };
            progress.step("heartbleed");
            h
        },
        async {
            let c = match &best_legacy {
                Some((v, s)) => Some(attacks::ccs_injection(&prober, *v, s).await),
                None => None,
            };
            progress.step("ccs-injection");
            c
        },
        async {
            // From TLS 1.3, downgrades are caught by the sentinel in the ServerHello random
            // (RFC 8446 4.1.3), checked below on the handshakes already made; below 1.3, by
            // TLS_FALLBACK_SCSV.
            let f = match (fallback_pair, &fallback_suites) {
                (Some((highest, lower)), Some(suites))
                    if highest != ProtocolVersion::Tls13 && !suites.is_empty() =>
                {
                    Some(attacks::fallback_scsv(&prober, lower, highest, suites).await)
                }
                _ => None,
            };
            progress.step("fallback-scsv");
            f
        },
        async {
            let c = match &best_legacy {
                Some((v, s)) => Some(attacks::compression(&prober, *v, s).await),
                None => None,
            };
            progress.step("compression");
            c
        },
    );

    let mut result = SurveyResult::default();
    let mut note = |check: &str, message: String| {
        result.errors.push(CheckError {
            check: check.into(),
            message,
        })
    };

    // Protocols, oldest first.
    if let Some(e) = &ssl2.error {
        tracing::debug!(error = %e, "SSL 2.0 probe");
    }
    let mut protocols = vec![ProtocolSupport {
        version: ProtocolVersion::Ssl2,
        supported: ssl2.supported,
        cipher_suites: ssl2
            .cipher_specs
            .iter()
            .map(|id| sslv2::describe(*id))
            .collect(),
        server_preference: None,
    }];
    for (version, survey) in [
        (ProtocolVersion::Ssl3, &ssl3),
        (ProtocolVersion::Tls10, &tls10),
        (ProtocolVersion::Tls11, &tls11),
        (ProtocolVersion::Tls12, &tls12),
        (ProtocolVersion::Tls13, &tls13),
    ] {
        if let Some(e) = &survey.error {
            note(
                &format!("protocol-{}", version.as_str().to_ascii_lowercase()),
                e.clone(),
            );
        }
        protocols.push(ProtocolSupport {
            version,
            supported: survey.supported,
            cipher_suites: survey
                .accepted
                .iter()
                .filter_map(|a| {
                    cipher_suites::by_id(a.suite).map(|info| info.to_shared(a.key_exchange.clone()))
                })
                .collect(),
            server_preference: survey.server_preference,
        });
    }

    // Key exchange.
    let (group_ids, group_preference) = match (&curves, tls13.supported) {
        (Some(c), _) => {
            if let Some(e) = &c.error {
                note("curves", e.clone());
            }
            (Some(c.groups.clone()), c.server_preference)
        }
        (None, Some(true)) => {
            if let Some(e) = &groups13.error {
                note("groups", e.clone());
            }
            (Some(groups13.groups.clone()), groups13.server_preference)
        }
        _ => (None, None),
    };
    let all_accepted = [&ssl3, &tls10, &tls11, &tls12, &tls13];
    let signature_algorithms = match schemes {
        Some(Ok(found)) => Some(found.iter().map(|id| groups::scheme_name(*id)).collect()),
        Some(Err(e)) => {
            note("signature-algorithms", e);
            None
        }
        None => None,
    };
    result.key_exchange = KeyExchange {
        groups: group_ids.map(|ids| groups::describe_groups(&ids)),
        server_group_preference: group_preference,
        dh_min_bits: all_accepted
            .iter()
            .flat_map(|s| s.accepted.iter().filter_map(|a| a.dh_bits))
            .min(),
        signature_algorithms,
    };

    // Features seen in TLS ≤ 1.2 ServerHellos.
    let legacy_flights: Vec<&ServerFlight> = [&tls12, &tls11, &tls10, &ssl3]
        .iter()
        .flat_map(|s| s.flights.iter())
        .collect();
    let any = |f: fn(&ServerFlight) -> bool| {
        (!legacy_flights.is_empty()).then(|| legacy_flights.iter().any(|x| f(x)))
    };
    result.features = Features {
        secure_renegotiation: any(|f| {
            f.server_hello
                .as_ref()
                .is_some_and(|sh| sh.renegotiation_info.is_some())
        }),
        compression: match compression {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                note("compression", e);
                None
            }
            None => None,
        },
        fallback_scsv: match &fallback {
            Some(ProbeOutcome::NotVulnerable(_)) => Some(true),
            Some(ProbeOutcome::Vulnerable(_)) => Some(false),
            _ => None,
        },
        heartbeat: heartbleed.as_ref().and_then(|(_, enabled)| *enabled),
        session_tickets: any(|f| f.server_hello.as_ref().is_some_and(|sh| sh.session_ticket)),
        ocsp_stapling: any(|f| f.certificate_status.is_some()),
        alpn: None,
    };
    let fallback = match fallback {
        Some(outcome) => Some(outcome),
        None if tls13.supported == Some(true) && !legacy_flights.is_empty() => {
            Some(attacks::downgrade_sentinel(&legacy_flights))
        }
        None => None,
    };
    result.features.fallback_scsv = match &fallback {
        Some(ProbeOutcome::NotVulnerable(_)) => Some(true),
        Some(ProbeOutcome::Vulnerable(_)) => Some(false),
        _ => None,
    };
    if let Some(ProbeOutcome::Inconclusive(why)) = &fallback {
        note("fallback-scsv", why.clone());
    }
    result.attacks = AttackProbes {
        heartbleed: heartbleed.map(|(outcome, _)| outcome),
        ccs_injection: ccs,
        fallback_scsv: fallback,
    };
    for (name, outcome) in [
        ("heartbleed", &result.attacks.heartbleed),
        ("ccs-injection", &result.attacks.ccs_injection),
    ] {
        if let Some(ProbeOutcome::Inconclusive(why)) = outcome {
            note(name, why.clone());
        }
    }

    // The chain and stapled response from the best legacy handshake that carried them.
    if let Some(flight) = legacy_flights.iter().find(|f| f.certificates.is_some()) {
        if let Some(chain) = &flight.certificates {
            result.chain = chain
                .certificates
                .iter()
                .map(|c| CertificateDer::from(c.clone()))
                .collect();
        }
        result.stapled_ocsp = flight
            .certificate_status
            .as_ref()
            .map(|s| s.ocsp_response.clone());
    }
    if result.chain.is_empty()
        && let Some(certificate) = &ssl2.certificate
    {
        result.chain = vec![CertificateDer::from(certificate.clone())];
    }
    result.protocols = protocols;
    result.connections = prober.connections();
    result.went_sequential = prober.reduced();
    result
}

fn ids(survey: &VersionSurvey) -> Vec<u16> {
    survey.accepted.iter().map(|a| a.suite).collect()
}

/// The chain (and stapled OCSP response) from one raw TLS ≤ 1.2 hello offering everything:
/// for quick scans of servers no modern client can talk to.
pub async fn fetch_chain(prober: &Prober) -> (Vec<CertificateDer<'static>>, Vec<u8>) {
    for version in [
        ProtocolVersion::Tls12,
        ProtocolVersion::Tls10,
        ProtocolVersion::Ssl3,
    ] {
        let flight = prober
            .send(&suites::hello(version, &suites::candidates(version)))
            .await;
        if let Some(chain) = &flight.certificates {
            let ocsp = flight
                .certificate_status
                .map(|s| s.ocsp_response)
                .unwrap_or_default();
            return (
                chain
                    .certificates
                    .iter()
                    .map(|c| CertificateDer::from(c.clone()))
                    .collect(),
                ocsp,
            );
        }
    }
    (Vec::new(), Vec::new())
}
