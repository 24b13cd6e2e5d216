//! Which suites each protocol version accepts, in the server's order when it has one.
//!
//! Per version: offer every suite the version allows, note the one the server picks, offer
//! the rest, and so on until the server refuses — one connection per accepted suite plus
//! one. If it accepted two or more, one more hello offers them in reverse: a server that
//! picks the same suite again chooses by its own order (and the picks were that order); one
//! that picks our first follows the client.

use shared::ProtocolVersion;

use super::prober::Prober;
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
}

/// Every suite `version` can negotiate, in code-point order.
pub fn candidates(version: ProtocolVersion) -> Vec<u16> {
    cipher_suites::for_version(version).map(|s| s.id).collect()
}

/// A hello for `version` offering `suites`.
pub fn hello(version: ProtocolVersion, suites: &[u16]) -> ClientHello {
    ClientHello::for_version(version, suites)
}

/// Enumerates the suites `version` accepts.
/// Enumerates the suites `version` accepts; `first` hears at once whether the first hello
/// was accepted (`Some(true)`), refused (`Some(false)`) or unanswered (`None`).
pub async fn survey_version(
    prober: &Prober,
    version: ProtocolVersion,
    first: impl FnOnce(Option<bool>),
) -> VersionSurvey {
    let mut remaining = candidates(version);
    let mut result = VersionSurvey::default();
    let mut first = Some(first);
    // Bounded: each round removes one suite or stops.
    while !remaining.is_empty() {
        let flight = prober.send(&hello(version, &remaining)).await;
        let verdict = flight.verdict();
        if let Some(first) = first.take() {
            first(match &verdict {
                Verdict::Accepted {
                    version: chosen, ..
                } => Some(*chosen == version.wire()),
                Verdict::HelloRetry { .. } => Some(version == ProtocolVersion::Tls13),
                Verdict::Refused(_) | Verdict::Ssl2Accepted { .. } => Some(false),
                Verdict::Failed(_) => None,
            });
        }
        let picked = match &verdict {
            Verdict::Accepted {
                version: chosen,
                cipher_suite,
                ..
            } if *chosen == version.wire() => Some(*cipher_suite),
            // A HelloRetryRequest names the suite the server chose.
            Verdict::HelloRetry { cipher_suite, .. } if version == ProtocolVersion::Tls13 => {
                Some(*cipher_suite)
            }
            _ => None,
        };
        if let Some(suite) = picked {
            if !remaining.contains(&suite) {
                result.error = Some(format!(
                    "the server chose suite 0x{suite:04x}, which was not offered; enumeration stopped"
                ));
                break;
            }
            remaining.retain(|s| *s != suite);
            result.accepted.push(Accepted {
                suite,
                key_exchange: key_exchange_detail(&flight),
                dh_bits: dh_bits(&flight),
            });
            result.flights.push(flight);
            continue;
        }
        match verdict {
            Verdict::Accepted {
                version: chosen, ..
            }
            | Verdict::HelloRetry {
                cipher_suite: chosen,
                ..
            } => {
                // Another version: the server does not speak this one.
                if result.accepted.is_empty() {
                    result.supported = Some(false);
                } else {
                    result.error = Some(format!(
                        "the server switched to 0x{chosen:04x} mid-enumeration"
                    ));
                }
            }
            Verdict::Refused(_) => {
                if result.accepted.is_empty() {
                    result.supported = Some(false);
                }
            }
            Verdict::Ssl2Accepted { .. } => {
                result.error = Some("the server answered a TLS hello in SSL 2.0".into())
            }
            Verdict::Failed(e) => {
                result.error = Some(format!(
                    "no answer to a {} hello: {e}",
                    version.display_name()
                ))
            }
        }
        break;
    }
    if !result.accepted.is_empty() {
        result.supported = Some(true);
    }
    if result.accepted.len() >= 2 {
        result.server_preference = preference(prober, version, &result.accepted).await;
    }
    result
}

/// Offers the accepted suites in reverse order: the server's own first pick again means it
/// chooses; our first means the client chooses.
async fn preference(
    prober: &Prober,
    version: ProtocolVersion,
    accepted: &[Accepted],
) -> Option<bool> {
    let reversed: Vec<u16> = accepted.iter().rev().map(|a| a.suite).collect();
    let flight = prober.send(&hello(version, &reversed)).await;
    let (Verdict::Accepted {
        cipher_suite: chosen,
        ..
    }
    | Verdict::HelloRetry {
        cipher_suite: chosen,
        ..
    }) = flight.verdict()
    else {
        return None;
    };
    if Some(chosen) == accepted.first().map(|a| a.suite) {
        Some(true)
    } else if Some(chosen) == reversed.first().copied() {
        Some(false)
    } else {
        None
    }
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
