//! Handshake simulation: how real clients — browsers, TLS libraries, old devices — would fare
//! with the server (SSL Labs' "Handshake Simulation" table).
//!
//! Each client's real ClientHello is data ([`clients`], `data/clients.toml`). For each one
//! the outcome is first predicted from what the survey already knows ([`predict`]), at no
//! cost. Then each *distinct* predicted outcome is checked with one real handshake using the
//! hello of a client that predicted it ([`run`]; those landing on TLS 1.3 as soon as TLS 1.3
//! is enumerated, [`confirm_tls13`]), at most [`MAX_CONFIRMATIONS`] of them:
//! where the server answers otherwise, the real answer wins for every client of that outcome,
//! and the report keeps what was predicted. The certificate's limits (key type and size,
//! SHA-1) are applied last, once the chain is known ([`report`]).

pub mod clients;
pub mod predict;

use futures_util::future::{BoxFuture, join_all};
use shared::{HandshakeSimulation, ProtocolVersion, SimulationFailure, SimulationOutcome, Step};

use self::clients::Client;
use self::predict::{AcceptedSuite, KeyShare, Negotiated, Outcome, ServerView, VersionView};
use crate::iana::cipher_suites::{self, KeyExchange as Kx};
use crate::pki::certificate::{CertificateInfo, SignatureHash};
use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::suites::{VersionSurvey, dh_bits};
use crate::wire::{ServerFlight, Verdict};

/// At most this many real handshakes confirm predictions (one per distinct outcome, those
/// of current browsers first).
pub const MAX_CONFIRMATIONS: usize = 8;

/// One client's simulated handshake, before the certificate is judged.
#[derive(Debug, Clone)]
pub struct Simulated {
    pub client: &'static Client,
    pub outcome: Outcome,
    /// A real handshake agreed with the prediction.
    pub confirmed: bool,
    /// The prediction a real handshake overruled.
    pub predicted: Option<Outcome>,
}

impl ServerView {
    /// The view of the survey's own enumerations: each version's survey, and the groups
    /// (TLS 1.3 groups, or TLS 1.2 curves for servers without TLS 1.3) with their order.
    pub fn from_survey(
        versions: &[(ProtocolVersion, &VersionSurvey)],
        groups: Option<(&[u16], Option<bool>)>,
    ) -> Self {
        Self {
            versions: versions
                .iter()
                .map(|(version, survey)| VersionView {
                    version: *version,
                    supported: survey.supported,
                    suites: survey
                        .accepted
                        .iter()
                        .map(|a| AcceptedSuite {
                            id: a.suite,
                            dh_bits: a.dh_bits,
                        })
                        .collect(),
                    server_preference: survey.server_preference,
                })
                .collect(),
            groups: groups.map(|(g, _)| g.to_vec()),
            group_preference: groups.and_then(|(_, p)| p),
        }
    }
}

/// The real handshakes made so far: for each, the client whose hello was sent (its index in
/// [`clients::all`]) and what the server answered (`None`: no answer to judge).
#[derive(Debug, Clone, Default)]
pub struct Confirmations {
    answers: Vec<(usize, Option<Outcome>)>,
}

impl Confirmations {
    /// The answer that settles outcome `key` under `predictions`: that of a client whose
    /// hello was sent and whose prediction is `key`.
    fn answer(
        &self,
        predictions: &[(&'static Client, predict::Prediction)],
        key: predict::OutcomeKey,
    ) -> Option<&Option<Outcome>> {
        self.answers
            .iter()
            .find(|(i, _)| {
                predictions
                    .get(*i)
                    .is_some_and(|(_, p)| p.outcome.key() == key)
            })
            .map(|(_, a)| a)
    }
}

fn predict_all(server: &ServerView) -> Vec<(&'static Client, predict::Prediction)> {
    clients::all()
        .iter()
        .map(|c| (c, predict::predict(c, server)))
        .collect()
}

/// Confirms, with one real handshake each, the distinct outcomes among `predictions` that
/// `wanted` selects and `done` does not settle yet, until `done` holds `limit` answers:
/// those of current browsers first, then those the survey could not determine exactly, then
/// the most common. The representative of an outcome is a current browser when one predicts
/// it.
async fn confirm(
    prober: &Prober,
    predictions: &[(&'static Client, predict::Prediction)],
    wanted: impl Fn(&predict::Prediction) -> bool,
    limit: usize,
    done: &mut Confirmations,
) {
    let mut distinct: Vec<(predict::OutcomeKey, Vec<usize>)> = Vec::new();
    for (i, (_, p)) in predictions.iter().enumerate() {
        let key = p.outcome.key();
        if !wanted(p) || done.answer(predictions, key).is_some() {
            continue;
        }
        match distinct.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => distinct.push((key, vec![i])),
        }
    }
    distinct.sort_by_key(|(_, members)| {
        let current = members.iter().any(|i| predictions[*i].0.current);
        let exact = members.iter().all(|i| predictions[*i].1.exact);
        (!current, exact, usize::MAX - members.len())
    });
    distinct.truncate(limit.saturating_sub(done.answers.len()));
    let representatives: Vec<usize> = distinct
        .iter()
        .map(|(_, members)| {
            members
                .iter()
                .copied()
                .find(|i| predictions[*i].0.current)
                .unwrap_or(members[0])
        })
        .collect();
    let handshakes = representatives.iter().map(|at| {
        let (client, prediction) = &predictions[*at];
        async move {
            let name = if client.sni {
                prober.server_name()
            } else {
                None
            };
            // Half-closed like the survey's hellos, so that a server serving one connection
            // at a time is free again at once.
            let flight = prober.send_as_is(&client.hello(name)).await;
            observe(client, &flight, &prediction.outcome)
        }
    });
    let answers = join_all(handshakes).await;
    done.answers
        .extend(representatives.into_iter().zip(answers));
}

/// At most this many of the [`MAX_CONFIRMATIONS`] go to the early round.
const EARLY_CONFIRMATIONS: usize = 5;

/// The early round, as soon as TLS 1.3 is enumerated (`tls13` holds only it): a client
/// that lands on TLS 1.3 depends on nothing else but the group, which its real handshake
/// shows — so these handshakes go out while the groups and the older versions are still
/// being enumerated. [`run`] later takes each answer for every client whose full
/// prediction matches the representative's.
pub async fn confirm_tls13(prober: &Prober, tls13: &ServerView) -> Confirmations {
    let mut done = Confirmations::default();
    if !tls13.known() {
        return done;
    }
    let predictions = predict_all(tls13);
    confirm(
        prober,
        &predictions,
        |p| matches!(&p.outcome, Outcome::Connected(n) if n.version == ProtocolVersion::Tls13),
        EARLY_CONFIRMATIONS,
        &mut done,
    )
    .await;
    done
}

/// Predicts every client's outcome from the whole survey, confirms each distinct outcome
/// `early` does not settle with one real handshake through `prober` (under the scan's
/// connection cap), and returns every client's result. Empty when the survey did not reach
/// the server.
pub async fn run(prober: &Prober, server: &ServerView, early: Confirmations) -> Vec<Simulated> {
    if !server.known() {
        return Vec::new();
    }
    let predictions = predict_all(server);
    let mut done = early;
    confirm(prober, &predictions, |_| true, MAX_CONFIRMATIONS, &mut done).await;
    predictions
        .iter()
        .map(|(client, p)| {
            let mut result = Simulated {
                client,
                outcome: p.outcome.clone(),
                confirmed: false,
                predicted: None,
            };
            // No answer (time ran out, the network failed, or past the cap): the prediction
            // stands, unconfirmed.
            if let Some(Some(real)) = done.answer(&predictions, p.outcome.key()) {
                if real.key() == result.outcome.key() {
                    result.confirmed = true;
                } else {
                    tracing::debug!(client = %client.label(), predicted = ?result.outcome, real = ?real, "a real handshake overruled the prediction");
                    result.predicted = Some(std::mem::replace(&mut result.outcome, real.clone()));
                }
            }
            result
        })
        .collect()
}

/// What the client makes of the server's real answer to its hello; `None` when there was no
/// answer to judge.
fn observe(client: &Client, flight: &ServerFlight, predicted: &Outcome) -> Option<Outcome> {
    let failed = |reason, detail: String| Outcome::Failed { reason, detail };
    Some(match flight.verdict() {
        Verdict::Accepted {
            version,
            cipher_suite,
            group,
        } => {
            let Some(version) = ProtocolVersion::from_wire(version) else {
                return Some(failed(
                    SimulationFailure::Refused,
                    format!("the server answered with unknown version 0x{version:04x}"),
                ));
            };
            if !client.accepts_version(version) {
                return Some(failed(
                    SimulationFailure::NoCommonVersion,
                    format!(
                        "the server answers with {}; the client needs {} or newer",
                        version.display_name(),
                        client.lowest_version().display_name()
                    ),
                ));
            }
            if !client.cipher_suites.contains(&cipher_suite) {
                return Some(failed(
                    SimulationFailure::Refused,
                    format!(
                        "the server chose suite 0x{cipher_suite:04x}, which the client did not offer"
                    ),
                ));
            }
            let kx = cipher_suites::by_id(cipher_suite).map(|s| s.key_exchange);
            let key_exchange = match kx {
                _ if version == ProtocolVersion::Tls13 => group.map(KeyShare::Group),
                Some(Kx::Ecdhe) => group.map(KeyShare::Group),
                Some(Kx::Dhe) => dh_bits(flight).map(KeyShare::Dh),
                _ => None,
            };
            predict::client_verdict(
                client,
                Negotiated {
                    version,
                    suite: cipher_suite,
                    key_exchange,
                },
            )
        }
        Verdict::HelloRetry {
            cipher_suite,
            group: Some(group),
        } if client.groups.contains(&group) && client.cipher_suites.contains(&cipher_suite) => {
            Outcome::Connected(Negotiated {
                version: ProtocolVersion::Tls13,
                suite: cipher_suite,
                key_exchange: Some(KeyShare::Group(group)),
            })
        }
        Verdict::HelloRetry { group, .. } => failed(
            SimulationFailure::NoCommonGroup,
            format!(
                "the server asks for group {}, which the client does not offer",
                group.map_or_else(
                    || "(none)".into(),
                    |g| predict::key_share_name(KeyShare::Group(g))
                )
            ),
        ),
        Verdict::Refused(refusal) => match predicted {
            // The server refusing is what these predict: the prediction's detail says why.
            Outcome::Failed {
                reason:
                    SimulationFailure::NoCommonVersion
                    | SimulationFailure::NoCommonSuite
                    | SimulationFailure::NoCommonGroup,
                ..
            } => predicted.clone(),
            _ => failed(
                SimulationFailure::Refused,
                format!(
                    "the server refused the client's hello ({})",
                    describe(&refusal)
                ),
            ),
        },
        Verdict::Ssl2Accepted { .. } => failed(
            SimulationFailure::Refused,
            "the server answered in SSL 2.0".into(),
        ),
        Verdict::Failed(e) => {
            tracing::debug!(client = %client.label(), error = %e, "no answer to a simulated hello");
            return None;
        }
    })
}

fn describe(refusal: &crate::wire::Refusal) -> String {
    match refusal {
        crate::wire::Refusal::Alert(alert) => format!("alert {alert}"),
        crate::wire::Refusal::Closed => "closed the connection".into(),
        crate::wire::Refusal::Ssl2Error(code) => format!("SSL 2.0 error {code}"),
    }
}

/// The report's form of the results, the certificate's limits applied: a client that would
/// connect but refuses the leaf's key (type or size) or its SHA-1 signature fails.
/// `leaves` are the leaves of every chain the server serves, the default one first: a
/// server holding several certificates picks one the client can use (by its signature
/// algorithms), so a client fails only when it can use none, and then for the default's
/// reason.
pub fn report(results: &[Simulated], leaves: &[&CertificateInfo]) -> Vec<HandshakeSimulation> {
    results
        .iter()
        .map(|r| {
            let outcome = match &r.outcome {
                Outcome::Connected(n) => {
                    let mut verdicts = leaves
                        .iter()
                        .map(|leaf| certificate_verdict(r.client, n, leaf));
                    match verdicts.next() {
                        Some(Some(failure)) if verdicts.all(|v| v.is_some()) => failure,
                        _ => r.outcome.clone(),
                    }
                }
                _ => r.outcome.clone(),
            };
            HandshakeSimulation {
                client: r.client.name.clone(),
                version: r.client.version.clone(),
                platform: r.client.platform.clone(),
                current: r.client.current,
                outcome: to_shared(&outcome),
                confirmed: r.confirmed,
                predicted: r.predicted.as_ref().map(to_shared),
            }
        })
        .collect()
}

/// The failure the certificate causes, if any.
fn certificate_verdict(
    client: &Client,
    negotiated: &Negotiated,
    leaf: &CertificateInfo,
) -> Option<Outcome> {
    let key = &leaf.summary.key;
    let failed = |reason, detail: String| Some(Outcome::Failed { reason, detail });
    let offers = |schemes: &[u16]| {
        client.signature_algorithms.is_empty()
            || client
                .signature_algorithms
                .iter()
                .any(|s| schemes.contains(s))
    };
    match key.algorithm.as_str() {
        "RSA" => {
            if let Some(min) = client.min_rsa_bits
                && key.bits < min
            {
                return failed(
                    SimulationFailure::RsaKeyTooSmall,
                    format!(
                        "the certificate's RSA key has {} bits; the client needs {min}",
                        key.bits
                    ),
                );
            }
            if let Some(max) = client.max_rsa_bits
                && key.bits > max
            {
                return failed(
                    SimulationFailure::RsaKeyTooLarge,
                    format!(
                        "the certificate's RSA key has {} bits; the client handles at most {max}",
                        key.bits
                    ),
                );
            }
            // TLS 1.3 signs with RSA-PSS only (RFC 8446 4.2.3).
            if negotiated.version == ProtocolVersion::Tls13
                && !offers(&[0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B])
            {
                return failed(
                    SimulationFailure::CertificateTypeUnsupported,
                    "the client offers no RSA-PSS signature scheme for the RSA certificate".into(),
                );
            }
        }
        "EC" => {
            if let Some(min) = client.min_ecdsa_bits
                && key.bits < min
            {
                return failed(
                    SimulationFailure::EcdsaKeyTooSmall,
                    format!(
                        "the certificate's EC key has {} bits; the client needs {min}",
                        key.bits
                    ),
                );
            }
            if !offers(&[0x0403, 0x0503, 0x0603, 0x0203]) {
                return failed(
                    SimulationFailure::CertificateTypeUnsupported,
                    "the client offers no ECDSA signature scheme for the EC certificate".into(),
                );
            }
        }
        "Ed25519" | "Ed448" => {
            let scheme = if key.algorithm == "Ed25519" {
                0x0807
            } else {
                0x0808
            };
            if !client.signature_algorithms.contains(&scheme) {
                return failed(
                    SimulationFailure::CertificateTypeUnsupported,
                    format!("the client cannot verify {} signatures", key.algorithm),
                );
            }
        }
        _ => {}
    }
    if client.requires_sha2 && leaf.signature_hash == SignatureHash::Sha1 {
        return failed(
            SimulationFailure::WeakCertificateSignature,
            "the certificate is signed with SHA-1, which the client refuses".into(),
        );
    }
    None
}

fn to_shared(outcome: &Outcome) -> SimulationOutcome {
    match outcome {
        Outcome::Connected(n) => {
            let info = cipher_suites::by_id(n.suite);
            SimulationOutcome::Connected {
                protocol: n.version,
                cipher_suite: info
                    .map_or_else(|| format!("0x{:04x}", n.suite), |s| s.name.to_owned()),
                group: n.key_exchange.map(predict::key_share_name),
                forward_secrecy: info.is_some_and(|s| s.forward_secrecy),
                aead: info.is_some_and(|s| s.aead),
            }
        }
        Outcome::Failed { reason, detail } => SimulationOutcome::Failed {
            reason: *reason,
            detail: detail.clone(),
        },
    }
}

/// The handshake simulation as a probe of the survey: the clients landing on TLS 1.3 are
/// confirmed as soon as TLS 1.3 is enumerated, the rest once every enumeration is known,
/// while the attack tests run alongside.
pub(crate) struct Simulation;

impl Probe for Simulation {
    fn name(&self) -> Step {
        Step::Simulation
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let (prober, published) = (context.prober, context.published);
            let tls13 = published.tls13.get().await;
            // The clients landing on TLS 1.3 need only its suites (their real handshakes
            // show the group): confirm theirs while the rest is enumerated.
            let early = if tls13.supported == Some(true) {
                let view =
                    ServerView::from_survey(&[(ProtocolVersion::Tls13, tls13.as_ref())], None);
                confirm_tls13(prober, &view).await
            } else {
                Confirmations::default()
            };
            let tls12 = published.tls12.get().await;
            let tls11 = published.tls11.get().await;
            let tls10 = published.tls10.get().await;
            let ssl3 = published.ssl3.get().await;
            let groups13 = published.tls13_groups.get().await;
            let curves = published.tls12_curves.get().await;
            let groups = match (curves.as_ref(), tls13.supported) {
                (Some(c), _) => Some((c.groups.as_slice(), c.server_preference)),
                (None, Some(true)) => {
                    Some((groups13.groups.as_slice(), groups13.server_preference))
                }
                _ => None,
            };
            // An enumeration that found nothing (it failed) tells nothing about the groups.
            let groups = groups.filter(|(g, _)| !g.is_empty());
            let view = ServerView::from_survey(
                &[
                    (ProtocolVersion::Ssl3, ssl3.as_ref()),
                    (ProtocolVersion::Tls10, tls10.as_ref()),
                    (ProtocolVersion::Tls11, tls11.as_ref()),
                    (ProtocolVersion::Tls12, tls12.as_ref()),
                    (ProtocolVersion::Tls13, tls13.as_ref()),
                ],
                groups,
            );
            let simulations = run(prober, &view, early).await;
            Box::new(move |observed: &mut Observed| observed.simulations = simulations) as Recording
        })
    }
}

#[cfg(test)]
mod certificate_tests {
    use super::*;
    use crate::assess::checks::testing::cert;

    #[test]
    fn a_client_fails_on_the_certificate_only_when_it_can_use_no_chain_served() {
        let client = clients::all()
            .iter()
            .find(|c| {
                c.min_rsa_bits.is_some_and(|m| m > 1024)
                    && c.min_ecdsa_bits.is_none_or(|m| m <= 256)
                    && (c.signature_algorithms.is_empty()
                        || c.signature_algorithms.contains(&0x0403))
            })
            .expect("a client that needs a large RSA key and takes ECDSA P-256");
        let simulated = [Simulated {
            client,
            outcome: Outcome::Connected(Negotiated {
                version: ProtocolVersion::Tls12,
                suite: 0xc02f,
                key_exchange: None,
            }),
            confirmed: true,
            predicted: None,
        }];
        let mut small_rsa = cert(80);
        small_rsa.summary.key = shared::PublicKeyInfo {
            algorithm: "RSA".into(),
            bits: 1024,
            curve: None,
        };
        let ecdsa = cert(80);
        let alone = report(&simulated, &[&small_rsa]);
        assert!(!alone[0].outcome.connected(), "{:?}", alone[0].outcome);
        let beside_ecdsa = report(&simulated, &[&small_rsa, &ecdsa]);
        assert!(
            beside_ecdsa[0].outcome.connected(),
            "{:?}",
            beside_ecdsa[0].outcome
        );
        assert!(
            report(&simulated, &[&ecdsa, &small_rsa])[0]
                .outcome
                .connected()
        );
    }
}
