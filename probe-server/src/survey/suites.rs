//! Which suites each protocol version accepts, in the server's order when it has one.
//!
//! Per version: offer every suite the version allows, note the one the server picks, offer
//! the rest, and so on until the server refuses — one connection per accepted suite plus
//! one. If it accepted two or more, one more hello offers them in reverse: a server that
//! picks the same suite again chooses by its own order (and the picks were that order); one
//! that picks our first follows the client.

use futures_util::future::BoxFuture;
use shared::ProtocolVersion;

use super::probe::{Observed, Probe, Recording, SurveyContext};
use super::prober::Prober;
use super::refusal::RefusalKind;
use crate::iana::{cipher_suites, groups};
use crate::wire::server::KeyExchangeParams;
use crate::wire::{ClientHello, ServerFlight, Verdict};

/// One accepted suite and how the server keyed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub suite: u16,
    /// "x25519", "DH 2048", "RSA 512" (export key), when the flight said.
    pub key_exchange: Option<String>,
    /// The DH group size of a DHE suite.
    pub dh_bits: Option<u16>,
    /// The DH group of a DHE suite: (p, g), big-endian, as sent.
    pub dh_group: Option<(Vec<u8>, Vec<u8>)>,
}

/// What the enumeration of one version found.
#[derive(Debug, Clone, Default)]
pub struct VersionSurvey {
    /// Some(true) when a suite was accepted; Some(false) when the server refused the
    /// version; None when it could not be told (see `error`).
    pub supported: Option<bool>,
    /// In the server's order when `server_preference`, else in the order picked.
    pub accepted: Vec<Accepted>,
    pub server_preference: Option<bool>,
    /// What went wrong, when something did.
    pub error: Option<String>,
    /// Flights of accepted handshakes (for features: renegotiation_info, tickets, ...).
    pub flights: Vec<ServerFlight>,
    /// How the server refused the hello offering every suite, when plain, smaller hellos
    /// then showed the version supported (a hello intolerance, not a version refusal).
    pub intolerance: Option<String>,
}

/// Every suite `version` can negotiate, in code-point order.
pub fn candidates(version: ProtocolVersion) -> Vec<u16> {
    cipher_suites::for_version(version).map(|s| s.id).collect()
}

/// Every suite `version` can negotiate, those most servers accept first (forward-secret
/// AEAD, then forward-secret, then with a certificate, then the rest), so that the
/// [`RETRY_CHUNK`] suites a plainer hello keeps are the likely ones.
pub fn likely_first(version: ProtocolVersion) -> Vec<u16> {
    let mut all = candidates(version);
    all.sort_by_key(|id| {
        cipher_suites::by_id(*id).map_or((true, true, true, true), |s| {
            (
                !(s.forward_secrecy && s.aead),
                !s.forward_secrecy,
                s.authentication == cipher_suites::Authentication::Anon,
                s.export,
            )
        })
    });
    all
}

/// A hello for `version` offering `suites`.
pub fn hello(version: ProtocolVersion, suites: &[u16]) -> ClientHello {
    ClientHello::for_version(version, suites)
}

/// What one hello's answer means for the enumeration of `version`.
enum Step {
    /// The server picked this suite, which was offered.
    Picked(u16),
    /// It answered with another version.
    OtherVersion(u16),
    /// It refused.
    Refused,
    /// Something went wrong (see the message).
    Failed(String),
}

fn classify(flight: &ServerFlight, version: ProtocolVersion, offered: &[u16]) -> Step {
    let picked = match flight.verdict() {
        Verdict::Accepted {
            version: chosen,
            cipher_suite,
            ..
        } if chosen == version.wire() => cipher_suite,
        // A HelloRetryRequest names the suite the server chose.
        Verdict::HelloRetry { cipher_suite, .. } if version == ProtocolVersion::Tls13 => {
            cipher_suite
        }
        Verdict::Accepted {
            version: chosen, ..
        } => return Step::OtherVersion(chosen),
        Verdict::HelloRetry { .. } => return Step::OtherVersion(ProtocolVersion::Tls13.wire()),
        Verdict::Refused(_) => return Step::Refused,
        Verdict::Ssl2Accepted { .. } => {
            return Step::Failed("the server answered a TLS hello in SSL 2.0".into());
        }
        Verdict::Failed(e) => {
            return Step::Failed(format!(
                "no answer to a {} hello: {e}",
                version.display_name()
            ));
        }
    };
    if offered.contains(&picked) {
        Step::Picked(picked)
    } else {
        Step::Failed(format!(
            "the server chose suite 0x{picked:04x}, which was not offered"
        ))
    }
}

fn accepted(suite: u16, flight: &ServerFlight) -> Accepted {
    Accepted {
        suite,
        key_exchange: key_exchange_detail(flight),
        dh_bits: dh_bits(flight),
        dh_group: dh_group(flight),
    }
}

pub use super::refusal::RETRY_CHUNK;

/// How the hellos of an enumeration are built: [`Form::Full`] offers every suite at once;
/// the plainer forms (for a server that refused the full hello in a way that may be about
/// the hello itself) at most [`RETRY_CHUNK`] suites.
pub use super::refusal::Form as Style;

fn styled(style: Style, version: ProtocolVersion, suites: &[u16]) -> ClientHello {
    style.shape(hello(version, suites), &[])
}

/// How the hello offering every suite was refused, when that may be about the hello.
fn refused_for_form(flight: &ServerFlight) -> Option<RefusalKind> {
    RefusalKind::of(flight).filter(RefusalKind::may_be_about_the_hello)
}

/// Enumerates the suites `version` accepts; `first` hears at once whether the first hello
/// was accepted (`Some(true)`), refused (`Some(false)`) or unanswered (`None`).
///
/// When the hello offering every suite is refused in a way that may be about the hello
/// itself (see [`may_be_intolerance`]), the suites are offered again in plain hellos of at
/// most [`RETRY_CHUNK`] suites, one chain per chunk at once; if any is accepted, the
/// version is supported by an intolerant server (`intolerance` says how) and the order is
/// found with plain hellos offering only the suites found. A tolerant server never sees
/// these hellos.
pub async fn survey_version(
    prober: &Prober,
    version: ProtocolVersion,
    first: impl FnOnce(Option<bool>),
) -> VersionSurvey {
    let all = candidates(version);
    let flight = prober.send(&hello(version, &all)).await;
    let refusal = refused_for_form(&flight).filter(|_| version >= ProtocolVersion::Tls10);
    if let Some(refusal) = refusal {
        // Plain hellos first; hellos without any extension when those are refused too.
        let mut answered = None;
        for style in [Style::Plain, Style::Bare] {
            let chunks = all.chunks(RETRY_CHUNK).map(<[u16]>::to_vec);
            let found = futures_util::future::join_all(
                chunks.map(|chunk| Box::pin(chain(prober, version, style, chunk))),
            )
            .await;
            if found.iter().any(|c| !c.accepted.is_empty()) {
                answered = Some((style, found));
                break;
            }
        }
        if let Some((style, found)) = answered {
            let mut suites: Vec<u16> = found
                .iter()
                .flat_map(|c| c.accepted.iter().map(|a| a.suite))
                .collect();
            suites.sort_unstable();
            let mut result = if suites.len() <= RETRY_CHUNK {
                order(prober, version, style, suites, first).await
            } else {
                // Too many to offer at once: the picks, without an order.
                first(Some(true));
                let mut result = VersionSurvey {
                    supported: Some(true),
                    ..VersionSurvey::default()
                };
                for chain in found {
                    result.absorb(chain);
                }
                result.accepted.sort_by_key(|a| a.suite);
                result
            };
            let plainer = match style {
                Style::Bare => "hellos without extensions",
                _ => "plain hellos",
            };
            result.intolerance = Some(format!(
                "a hello offering all {} suites got {}; {plainer} of at most {RETRY_CHUNK} \
                 suites were answered",
                all.len(),
                refusal.describe()
            ));
            return result;
        }
    }
    order_from(prober, version, Style::Full, all, flight, first).await
}

/// The enumeration over `all`, in hellos of `style`.
async fn order(
    prober: &Prober,
    version: ProtocolVersion,
    style: Style,
    all: Vec<u16>,
    first: impl FnOnce(Option<bool>),
) -> VersionSurvey {
    let flight = prober.send(&styled(style, version, &all)).await;
    order_from(prober, version, style, all, flight, first).await
}

/// The enumeration over `all`, given the answer to the hello offering all of them.
///
/// 1. Every suite, in code-point order: the server picks one (or refuses the version).
/// 2. Every suite, reversed. The same pick means the server chooses by its own order; then
///    offering the rest, again and again, lists the suites in that order. A different pick
///    means it follows the client: the two picks are the lowest and highest suites it
///    accepts, and the rest is enumerated in two chains at once — as many connections as one
///    chain (each chain ends in one refusal), in half the time.
async fn order_from(
    prober: &Prober,
    version: ProtocolVersion,
    style: Style,
    all: Vec<u16>,
    flight: ServerFlight,
    first: impl FnOnce(Option<bool>),
) -> VersionSurvey {
    let mut result = VersionSurvey::default();
    let step = classify(&flight, version, &all);
    first(match step {
        Step::Picked(_) => Some(true),
        Step::OtherVersion(_) | Step::Refused => Some(false),
        Step::Failed(_) => None,
    });
    let lowest = match step {
        Step::Picked(suite) => suite,
        Step::OtherVersion(_) | Step::Refused => {
            result.supported = Some(false);
            return result;
        }
        Step::Failed(e) => {
            result.error = Some(e);
            return result;
        }
    };
    result.supported = Some(true);
    result.accepted.push(accepted(lowest, &flight));
    result.flights.push(flight);

    let reversed: Vec<u16> = all.iter().rev().copied().collect();
    let flight = prober.send(&styled(style, version, &reversed)).await;
    let rest: Vec<u16> = all.iter().copied().filter(|s| *s != lowest).collect();
    match classify(&flight, version, &reversed) {
        Step::Picked(again) if again == lowest => {
            // The server's own order: walk it.
            let walked = chain(prober, version, style, rest).await;
            result.absorb(walked);
            if result.accepted.len() >= 2 {
                result.server_preference = Some(true);
            }
        }
        Step::Picked(highest) => {
            // The client's order: two chains over the rest, reported in code-point order.
            result.server_preference = Some(false);
            result.accepted.push(accepted(highest, &flight));
            result.flights.push(flight);
            let rest: Vec<u16> = rest.into_iter().filter(|s| *s != highest).collect();
            let (low, high) = rest.split_at(rest.len() / 2);
            let (a, b) = tokio::join!(
                Box::pin(chain(prober, version, style, low.to_vec())),
                Box::pin(chain(prober, version, style, high.to_vec()))
            );
            result.absorb(a);
            result.absorb(b);
            result.accepted.sort_by_key(|a| a.suite);
        }
        // A server that takes the list one way round but not the other: walk the rest.
        Step::Refused | Step::OtherVersion(_) | Step::Failed(_) => {
            let walked = chain(prober, version, style, rest).await;
            result.absorb(walked);
        }
    }
    result
}

/// What one chain of hellos found.
#[derive(Debug, Default)]
struct Chain {
    accepted: Vec<Accepted>,
    flights: Vec<ServerFlight>,
    error: Option<String>,
}

impl VersionSurvey {
    fn absorb(&mut self, chain: Chain) {
        self.accepted.extend(chain.accepted);
        self.flights.extend(chain.flights);
        if self.error.is_none() {
            self.error = chain.error;
        }
    }
}

/// Offers `remaining`, notes the suite picked, offers the rest, until the server refuses:
/// the picks, in the server's order.
async fn chain(
    prober: &Prober,
    version: ProtocolVersion,
    style: Style,
    mut remaining: Vec<u16>,
) -> Chain {
    let mut found = Chain::default();
    // Bounded: each round removes one suite or stops.
    while !remaining.is_empty() {
        let flight = prober.send(&styled(style, version, &remaining)).await;
        match classify(&flight, version, &remaining) {
            Step::Picked(suite) => {
                remaining.retain(|s| *s != suite);
                found.accepted.push(accepted(suite, &flight));
                found.flights.push(flight);
            }
            Step::Refused => break,
            Step::OtherVersion(chosen) => {
                found.error = Some(format!(
                    "the server switched to 0x{chosen:04x} mid-enumeration"
                ));
                break;
            }
            Step::Failed(e) => {
                found.error = Some(e);
                break;
            }
        }
    }
    found
}

/// How the server keyed the handshake: the TLS 1.3 share's group, the ECDHE curve, the DH
/// group size, or the export RSA key size.
pub fn key_exchange_detail(flight: &ServerFlight) -> Option<String> {
    if let Some(share) = flight
        .server_hello
        .as_ref()
        .and_then(|sh| sh.key_share.as_ref())
    {
        return Some(group_name(share.group()));
    }
    match &flight.server_key_exchange.as_ref()?.params {
        KeyExchangeParams::Ecdh {
            named_curve: Some(curve),
            ..
        } => Some(group_name(*curve)),
        KeyExchangeParams::Ecdh { .. } => Some("explicit curve".into()),
        KeyExchangeParams::Dh { p, .. } => {
            Some(format!("DH {}", crate::wire::server::bit_length(p)))
        }
        KeyExchangeParams::Rsa { modulus, .. } => {
            Some(format!("RSA {}", crate::wire::server::bit_length(modulus)))
        }
        _ => None,
    }
}

/// The DH group (p, g) of a DHE handshake.
pub fn dh_group(flight: &ServerFlight) -> Option<(Vec<u8>, Vec<u8>)> {
    match &flight.server_key_exchange.as_ref()?.params {
        KeyExchangeParams::Dh { p, g, .. } => Some((p.clone(), g.clone())),
        _ => None,
    }
}

/// The DH group size of a DHE handshake.
pub fn dh_bits(flight: &ServerFlight) -> Option<u16> {
    match &flight.server_key_exchange.as_ref()?.params {
        KeyExchangeParams::Dh { p, .. } => u16::try_from(crate::wire::server::bit_length(p)).ok(),
        _ => None,
    }
}

/// The IANA name of a group, or its code point.
pub fn group_name(id: u16) -> String {
    groups::by_id(id).map_or_else(|| format!("0x{id:04x}"), |g| g.name.to_owned())
}

/// The enumeration of one version's suites; it announces the version's first answer.
pub(crate) struct Enumeration(pub ProtocolVersion);

impl Probe for Enumeration {
    fn name(&self) -> shared::Step {
        shared::Step::Protocol(self.0)
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        let version = self.0;
        Box::pin(async move {
            let firsts = context.firsts;
            let survey = survey_version(context.prober, version, |answer| {
                firsts.announce(version, answer);
            })
            .await;
            firsts.announce(version, survey.supported);
            if let Some(slot) = context.published.version(version) {
                slot.publish(survey.clone());
            }
            Box::new(move |observed: &mut Observed| observed.versions.push((version, survey)))
                as Recording
        })
    }
}
