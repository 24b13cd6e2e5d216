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
pub mod robot;
pub mod sslv2;
pub mod suites;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rustls_pki_types::CertificateDer;
use shared::{CheckError, Features, KeyExchange, ProtocolSupport, ProtocolVersion, ScanProgress};

use self::prober::Prober;
use self::suites::survey_version;
use crate::iana::cipher_suites;
use crate::observations::{AttackProbes, ProbeOutcome};
use crate::scan::{ScanUpdate, UpdateSender};
use crate::simulation;
use crate::wire::ServerFlight;

/// What to survey.
#[derive(Debug, Clone)]
pub struct SurveyRequest {
    pub address: SocketAddr,
    pub server_name: Option<String>,
    /// Connections in flight at most (see [`prober::DEFAULT_CONNECTIONS`]).
    pub connections: usize,
    /// The permits of that cap, when the scan's other connections share them (else the
    /// survey has `connections` of its own).
    pub slots: Option<std::sync::Arc<tokio::sync::Semaphore>>,
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
    /// Every client's simulated handshake (the certificate not yet judged: see
    /// [`crate::simulation::report`]).
    pub simulations: Vec<crate::simulation::Simulated>,
    /// TCP connections the survey opened (the simulation's included).
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

/// Each version's first answer (accepted: `Some(true)`; refused: `Some(false)`; no answer:
/// `None`), announced once, awaited by the probes that need it.
#[derive(Debug)]
struct FirstAnswers {
    channels: Vec<(
        ProtocolVersion,
        tokio::sync::watch::Sender<Option<Option<bool>>>,
    )>,
}

impl Default for FirstAnswers {
    fn default() -> Self {
        let versions = [
            ProtocolVersion::Tls13,
            ProtocolVersion::Tls12,
            ProtocolVersion::Tls11,
            ProtocolVersion::Tls10,
            ProtocolVersion::Ssl3,
        ];
        Self {
            channels: versions
                .iter()
                .map(|v| (*v, tokio::sync::watch::Sender::new(None)))
                .collect(),
        }
    }
}

impl FirstAnswers {
    fn channel(
        &self,
        version: ProtocolVersion,
    ) -> Option<&tokio::sync::watch::Sender<Option<Option<bool>>>> {
        self.channels
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, c)| c)
    }

    /// Records `version`'s first answer; later calls change nothing.
    fn announce(&self, version: ProtocolVersion, answer: Option<bool>) {
        if let Some(channel) = self.channel(version) {
            channel.send_if_modified(|slot| {
                let fresh = slot.is_none();
                if fresh {
                    *slot = Some(answer);
                }
                fresh
            });
        }
    }

    /// `version`'s first answer, once there is one.
    async fn wait(&self, version: ProtocolVersion) -> Option<bool> {
        let channel = self.channel(version)?;
        let mut receiver = channel.subscribe();
        // The senders live as long as `self`, so the channel cannot close under us.
        receiver
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|answer| *answer)
            .flatten()
    }

    /// The best TLS ≤ 1.2 version the server accepts: what the attack tests use.
    async fn best_legacy(&self) -> Option<ProtocolVersion> {
        for version in [
            ProtocolVersion::Tls12,
            ProtocolVersion::Tls11,
            ProtocolVersion::Tls10,
            ProtocolVersion::Ssl3,
        ] {
            if self.wait(version).await == Some(true) {
                return Some(version);
            }
        }
        None
    }

    /// Every version the server accepts, newest first.
    async fn supported(&self) -> Vec<ProtocolVersion> {
        let mut supported = Vec::new();
        for (version, _) in &self.channels {
            if self.wait(*version).await == Some(true) {
                supported.push(*version);
            }
        }
        supported
    }
}

/// The steps a survey reports, in the order they usually finish.
const STEPS: u32 = 16;

/// Runs the survey.
pub async fn run(request: &SurveyRequest, updates: Option<&UpdateSender>) -> SurveyResult {
    let prober = match &request.slots {
        Some(slots) => Prober::sharing(
            request.address,
            request.server_name.clone(),
            slots.clone(),
            request.connections,
            request.deadline,
        ),
        None => Prober::new(
            request.address,
            request.server_name.clone(),
            request.connections,
            request.deadline,
        ),
    };
    let progress = Progress {
        updates,
        done: AtomicU32::new(0),
        total: STEPS,
    };
    // Each enumeration announces at once whether its version's first hello was accepted, so
    // that the probes needing only that start then, not after every enumeration is done.
    let firsts = FirstAnswers::default();
    let versioned = |version: ProtocolVersion| {
        let (prober, progress, firsts) = (&prober, &progress, &firsts);
        async move {
            let survey =
                survey_version(prober, version, |answer| firsts.announce(version, answer)).await;
            firsts.announce(version, survey.supported);
            progress.step(version.as_str());
            survey
        }
    };
    let tls13_suites: Vec<u16> = suites::candidates(ProtocolVersion::Tls13);
    let signed_fs = groups::signed_fs_suites(&suites::candidates(ProtocolVersion::Tls12));
    let ecdhe = groups::ecdhe_suites(&suites::candidates(ProtocolVersion::Tls12));

    // The enumerations, then the handshake simulation that needs them (a handful of
    // connections), while the attack tests run alongside.
    let enumerations = async {
        let ((tls13, early), tls12, tls11, tls10, ssl3, groups13, curves) = tokio::join!(
            Box::pin(async {
                let tls13 = versioned(ProtocolVersion::Tls13).await;
                // The clients landing on TLS 1.3 need only its suites (their real handshakes
                // show the group): confirm theirs while the rest is enumerated.
                let early = if tls13.supported == Some(true) {
                    let view = simulation::predict::ServerView::from_survey(
                        &[(ProtocolVersion::Tls13, &tls13)],
                        None,
                    );
                    simulation::confirm_tls13(&prober, &view).await
                } else {
                    simulation::Confirmations::default()
                };
                (tls13, early)
            }),
            Box::pin(versioned(ProtocolVersion::Tls12)),
            Box::pin(versioned(ProtocolVersion::Tls11)),
            Box::pin(versioned(ProtocolVersion::Tls10)),
            Box::pin(versioned(ProtocolVersion::Ssl3)),
            Box::pin(async {
                let g = groups::tls13_groups(&prober, &tls13_suites).await;
                progress.step("groups");
                g
            }),
            Box::pin(async {
                // TLS 1.2 curves matter when there is no TLS 1.3 to list the groups.
                let c = if firsts.wait(ProtocolVersion::Tls13).await != Some(true)
                    && firsts.wait(ProtocolVersion::Tls12).await == Some(true)
                {
                    Some(groups::tls12_curves(&prober, &ecdhe).await)
                } else {
                    None
                };
                progress.step("curves");
                c
            }),
        );
        let groups = match (&curves, tls13.supported) {
            (Some(c), _) => Some((c.groups.as_slice(), c.server_preference)),
            (None, Some(true)) => Some((groups13.groups.as_slice(), groups13.server_preference)),
            _ => None,
        };
        // An enumeration that found nothing (it failed) tells nothing about the groups.
        let groups = groups.filter(|(g, _)| !g.is_empty());
        let view = simulation::predict::ServerView::from_survey(
            &[
                (ProtocolVersion::Ssl3, &ssl3),
                (ProtocolVersion::Tls10, &tls10),
                (ProtocolVersion::Tls11, &tls11),
                (ProtocolVersion::Tls12, &tls12),
                (ProtocolVersion::Tls13, &tls13),
            ],
            groups,
        );
        let simulations = simulation::run(&prober, &view, early).await;
        progress.step("simulation");
        (
            tls13,
            tls12,
            tls11,
            tls10,
            ssl3,
            groups13,
            curves,
            simulations,
        )
    };

    let (
        ssl2,
        (tls13, tls12, tls11, tls10, ssl3, groups13, curves, simulations),
        schemes,
        heartbleed,
        ccs,
        fallback,
        compression,
        robot,
    ) = tokio::join!(
        Box::pin(async {
            let s = sslv2::probe(&prober).await;
            progress.step("SSLv2");
            s
        }),
        Box::pin(enumerations),
        Box::pin(async {
            let s = if firsts.wait(ProtocolVersion::Tls12).await == Some(true) {
                Some(groups::tls12_signature_schemes(&prober, &signed_fs).await)
            } else {
                None
            };
            progress.step("signature-algorithms");
            s
        }),
        Box::pin(async {
            let h = match firsts.best_legacy().await {
                Some(v) => Some(attacks::heartbleed(&prober, v, &suites::candidates(v)).await),
                None => None,
            };
            progress.step("heartbleed");
            h
        }),
        Box::pin(async {
            let c = match firsts.best_legacy().await {
                Some(v) => Some(attacks::ccs_injection(&prober, v, &suites::candidates(v)).await),
                None => None,
            };
            progress.step("ccs-injection");
            c
        }),
        Box::pin(async {
            // From TLS 1.3, downgrades are caught by the sentinel in the ServerHello random
            // (RFC 8446 4.1.3), checked below on the handshakes already made; below 1.3, by
            // TLS_FALLBACK_SCSV.
            let f = match firsts.supported().await.as_slice() {
                [highest, lower, ..] if *highest != ProtocolVersion::Tls13 => Some(
                    attacks::fallback_scsv(&prober, *lower, *highest, &suites::candidates(*lower))
                        .await,
                ),
                _ => None,
            };
            progress.step("fallback-scsv");
            f
        }),
        Box::pin(async {
            let c = match firsts.best_legacy().await {
                Some(v) => Some(attacks::compression(&prober, v, &suites::candidates(v)).await),
                None => None,
            };
            progress.step("compression");
            c
        }),
        Box::pin(async {
            let r = match firsts.best_legacy().await {
                Some(v) => Some(robot::robot(&prober, v).await),
                None => None,
            };
            progress.step("robot");
            r
        }),
    );
    let schemes = schemes.map(|found| found.map(|list| (!list.is_empty()).then_some(list)));

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
        Some(Ok(Some(found))) => Some(found.iter().map(|id| groups::scheme_name(*id)).collect()),
        Some(Ok(None)) => None,
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
        robot,
    };
    for (name, outcome) in [
        ("heartbleed", &result.attacks.heartbleed),
        ("ccs-injection", &result.attacks.ccs_injection),
        ("robot", &result.attacks.robot),
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
    result.simulations = simulations;
    result.connections = prober.connections();
    result.went_sequential = prober.reduced();
    result
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
