//! From what the probes observed to the survey's result: protocols oldest first, the key
//! exchange, the features raw ServerHellos show, the attack outcomes, and the chain for
//! servers no modern client can talk to.

use rustls_pki_types::CertificateDer;
use shared::{CheckError, Features, KeyExchange, ProtocolSupport, ProtocolVersion, Step};

use super::attacks::fallback_scsv::downgrade_sentinel;
use super::probe::Observed;
use super::prober::Prober;
use super::{SurveyResult, dh, groups, sslv2};
use crate::iana::cipher_suites;
use crate::survey::outcome::{AttackProbes, ProbeOutcome};
use crate::wire::ServerFlight;

/// Merges `observed` (the prober gives the connection count).
pub(super) async fn merge(mut observed: Observed, prober: &Prober) -> SurveyResult {
    let ssl2 = std::mem::take(&mut observed.ssl2);
    let tls13 = observed.take_version(ProtocolVersion::Tls13);
    let tls12 = observed.take_version(ProtocolVersion::Tls12);
    let tls11 = observed.take_version(ProtocolVersion::Tls11);
    let tls10 = observed.take_version(ProtocolVersion::Tls10);
    let ssl3 = observed.take_version(ProtocolVersion::Ssl3);
    let groups13 = std::mem::take(&mut observed.tls13_groups);
    let curves = observed.tls12_curves.take();
    let heartbleed = observed.heartbleed.take();
    let ccs = observed.ccs_injection.take();
    let fallback = observed.fallback_scsv.take();
    let compression = observed.compression.take();
    let robot = observed.robot.take();
    let ticketbleed = observed.ticketbleed.take();
    let sct_extension = observed.sct_extension.take();
    let renegotiation = observed.renegotiation.take();
    let tls12_resumption = observed.tls12_resumption.take();
    let simulations = std::mem::take(&mut observed.simulations);
    let schemes = observed
        .signature_schemes
        .take()
        .map(|found| found.map(|list| (!list.is_empty()).then_some(list)));

    let mut result = SurveyResult::default();
    let mut note = |step: Step, message: String| {
        result.errors.push(CheckError {
            check: step.to_string(),
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
        intolerance: None,
    }];
    for (version, survey) in [
        (ProtocolVersion::Ssl3, &ssl3),
        (ProtocolVersion::Tls10, &tls10),
        (ProtocolVersion::Tls11, &tls11),
        (ProtocolVersion::Tls12, &tls12),
        (ProtocolVersion::Tls13, &tls13),
    ] {
        if let Some(e) = &survey.error {
            note(Step::Protocol(version), e.clone());
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
            intolerance: survey.intolerance.clone(),
        });
    }

    // Key exchange.
    let (group_ids, group_preference) = match (&curves, tls13.supported) {
        (Some(c), _) => {
            if let Some(e) = &c.error {
                note(Step::Curves, e.clone());
            }
            (Some(c.groups.clone()), c.server_preference)
        }
        (None, Some(true)) => {
            if let Some(e) = &groups13.error {
                note(Step::Groups, e.clone());
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
            note(Step::SignatureAlgorithms, e);
            None
        }
        None => None,
    };
    // Every distinct DH group, judged once each (primality tests take milliseconds to
    // seconds: off the async threads).
    let mut dh_groups: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for group in all_accepted
        .iter()
        .flat_map(|s| s.accepted.iter().filter_map(|a| a.dh_group.clone()))
    {
        if !dh_groups.contains(&group) {
            dh_groups.push(group);
        }
    }
    // A real server has one group (or one per certificate); a hostile one could send a new
    // large prime with every suite to keep the probe testing primes.
    if dh_groups.len() > dh::MAX_JUDGED_GROUPS {
        note(
            Step::DhGroups,
            format!(
                "the server sent {} different DH groups; only the first {} were judged",
                dh_groups.len(),
                dh::MAX_JUDGED_GROUPS
            ),
        );
        dh_groups.truncate(dh::MAX_JUDGED_GROUPS);
    }
    let dh_groups = if dh_groups.is_empty() {
        None
    } else {
        match tokio::task::spawn_blocking(move || {
            dh_groups
                .iter()
                .map(|(p, g)| dh::judge(p, g))
                .collect::<Vec<_>>()
        })
        .await
        {
            Ok(judged) => Some(judged),
            Err(e) => {
                note(Step::DhGroups, format!("judging the DH groups failed: {e}"));
                None
            }
        }
    };
    result.key_exchange = KeyExchange {
        groups: group_ids.map(|ids| groups::describe_groups(&ids)),
        server_group_preference: group_preference,
        dh_min_bits: all_accepted
            .iter()
            .flat_map(|s| s.accepted.iter().filter_map(|a| a.dh_bits))
            .min(),
        signature_algorithms,
        dh_groups,
        hello_retry_unoffered_group: groups13
            .unoffered_retry_group
            .and_then(|id| groups::describe_groups(&[id]).pop()),
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
                note(Step::Compression, e);
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
        client_renegotiation: match &renegotiation {
            Some(Ok(seen)) => Some(seen.accepted),
            _ => None,
        },
        extended_master_secret: match &tls12_resumption {
            Some(Ok(seen)) => Some(seen.extended_master_secret),
            _ => None,
        },
        resumption_by_session_id: match &tls12_resumption {
            Some(Ok(seen)) => seen.session_id,
            _ => None,
        },
        resumption_by_ticket: match &tls12_resumption {
            Some(Ok(seen)) => seen.ticket,
            _ => None,
        },
        ticket_lifetime_hint: match &tls12_resumption {
            Some(Ok(seen)) => seen.ticket_lifetime_hint,
            _ => None,
        },
        hello_tolerance: observed.hello_tolerance.take(),
        // TLS 1.3 resumption and 0-RTT come from the verified stage (rustls).
        ..Features::default()
    };
    let fallback = match fallback {
        Some(outcome) => Some(outcome),
        None if tls13.supported == Some(true) && !legacy_flights.is_empty() => {
            Some(downgrade_sentinel(&legacy_flights))
        }
        None => None,
    };
    result.features.fallback_scsv = match &fallback {
        Some(ProbeOutcome::NotVulnerable(_)) => Some(true),
        Some(ProbeOutcome::Vulnerable(_)) => Some(false),
        _ => None,
    };
    if let Some(ProbeOutcome::Inconclusive(why)) = &fallback {
        note(Step::FallbackScsv, why.clone());
    }
    result.attacks = AttackProbes {
        heartbleed: heartbleed.map(|(outcome, _)| outcome),
        ccs_injection: ccs,
        fallback_scsv: fallback,
        robot,
        ticketbleed,
        renegotiation: match renegotiation {
            Some(Ok(seen)) => Some(seen),
            Some(Err(e)) => {
                note(Step::Renegotiation, e);
                None
            }
            None => None,
        },
        tls12_resumption: match tls12_resumption {
            Some(Ok(seen)) => Some(seen),
            Some(Err(e)) => {
                note(Step::Tls12Resumption, e);
                None
            }
            None => None,
        },
    };
    result.sct_extension = match sct_extension {
        Some(Ok(seen)) => Some(seen),
        Some(Err(e)) => {
            note(Step::CertificateTransparency, e);
            None
        }
        None => None,
    };
    for (name, outcome) in [
        (Step::Heartbleed, &result.attacks.heartbleed),
        (Step::CcsInjection, &result.attacks.ccs_injection),
        (Step::Robot, &result.attacks.robot),
        (Step::Ticketbleed, &result.attacks.ticketbleed),
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
