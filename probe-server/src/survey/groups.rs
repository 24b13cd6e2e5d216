//! Key-exchange groups and signature algorithms.
//!
//! TLS 1.3: a hello whose `key_share` is empty makes the server name the group it wants in a
//! HelloRetryRequest, without any key exchange. Offering every group, noting the one named,
//! and offering the rest enumerates the groups in the server's order — hybrid post-quantum
//! ones like X25519MLKEM768 included, whose shares we never have to compute.
//!
//! TLS 1.2: the ECDHE ServerKeyExchange names the curve, and (TLS 1.2) the signature scheme
//! it was signed with; the same offer-and-remove loop enumerates both.

use futures_util::future::BoxFuture;
use shared::{KeyExchangeGroup, ProtocolVersion, Step};

use super::probe::{Observed, Probe, Recording, SurveyContext};
use super::prober::Prober;
use super::suites;
use crate::iana::{cipher_suites, groups, signature_schemes};
use crate::wire::server::KeyExchangeParams;
use crate::wire::{ClientHello, ServerFlight, Verdict};

/// The groups found, in the server's order when it has one.
#[derive(Debug, Clone, Default)]
pub struct GroupSurvey {
    pub groups: Vec<u16>,
    pub server_preference: Option<bool>,
    pub error: Option<String>,
}

/// The TLS 1.3 groups the server accepts.
pub async fn tls13_groups(prober: &Prober, suites: &[u16]) -> GroupSurvey {
    let candidates: Vec<u16> = groups::GROUPS
        .iter()
        .filter(|g| g.tls13())
        .map(|g| g.id)
        .collect();
    let ask = |offer: Vec<u16>| async move {
        let hello = ClientHello::for_version(ProtocolVersion::Tls13, suites).with_groups(&offer, 0);
        let flight = prober.send(&hello).await;
        match flight.verdict() {
            Verdict::HelloRetry {
                group: Some(group), ..
            } if offer.contains(&group) => Ok(Some(group)),
            // Without a share the server cannot accept outright; either way it named a group.
            Verdict::Accepted {
                group: Some(group), ..
            } if offer.contains(&group) => Ok(Some(group)),
            Verdict::Refused(_) => Ok(None),
            Verdict::Failed(e) => Err(e.to_string()),
            other => Err(format!(
                "unexpected answer to an empty key_share: {other:?}"
            )),
        }
    };
    enumerate(candidates, ask).await
}

/// The curves a TLS 1.2 server uses with `ecdhe_suites`.
pub async fn tls12_curves(prober: &Prober, ecdhe_suites: &[u16]) -> GroupSurvey {
    let candidates: Vec<u16> = crate::wire::client_hello::TLS12_GROUPS
        .iter()
        .copied()
        .filter(|id| {
            groups::by_id(*id).is_some_and(|g| g.size_bits > 0 && !g.name.starts_with("ffdhe"))
        })
        .collect();
    let ask = |offer: Vec<u16>| async move {
        let hello =
            ClientHello::for_version(ProtocolVersion::Tls12, ecdhe_suites).with_groups(&offer, 0);
        let flight = prober.send(&hello).await;
        match flight.verdict() {
            Verdict::Accepted { .. } => match named_curve(&flight) {
                Some(curve) if offer.contains(&curve) => Ok(Some(curve)),
                Some(curve) => Err(format!(
                    "the server used curve 0x{curve:04x}, which was not offered"
                )),
                None => Ok(None),
            },
            Verdict::Refused(_) => Ok(None),
            Verdict::Failed(e) => Err(e.to_string()),
            other => Err(format!("unexpected answer: {other:?}")),
        }
    };
    enumerate(candidates, ask).await
}

fn named_curve(flight: &ServerFlight) -> Option<u16> {
    match &flight.server_key_exchange.as_ref()?.params {
        KeyExchangeParams::Ecdh { named_curve, .. } => *named_curve,
        _ => None,
    }
}

/// The offer-and-remove loop, then the reversed offer that tells whose order it is.
async fn enumerate<F, Fut>(mut remaining: Vec<u16>, ask: F) -> GroupSurvey
where
    F: Fn(Vec<u16>) -> Fut,
    Fut: std::future::Future<Output = Result<Option<u16>, String>>,
{
    let mut survey = GroupSurvey::default();
    while !remaining.is_empty() {
        match ask(remaining.clone()).await {
            Ok(Some(group)) => {
                remaining.retain(|g| *g != group);
                survey.groups.push(group);
            }
            Ok(None) => break,
            Err(e) => {
                survey.error = Some(e);
                break;
            }
        }
    }
    if survey.groups.len() >= 2 {
        let reversed: Vec<u16> = survey.groups.iter().rev().copied().collect();
        survey.server_preference = match ask(reversed.clone()).await {
            Ok(Some(g)) if Some(&g) == survey.groups.first() => Some(true),
            Ok(Some(g)) if Some(&g) == reversed.first() => Some(false),
            _ => None,
        };
    }
    survey
}

/// The report's form of the groups.
pub fn describe_groups(ids: &[u16]) -> Vec<KeyExchangeGroup> {
    ids.iter()
        .map(|id| match groups::by_id(*id) {
            Some(info) => info.to_shared(),
            None => KeyExchangeGroup {
                id: *id,
                name: format!("0x{id:04x}"),
                bits: 0,
                post_quantum: false,
            },
        })
        .collect()
}

/// The signature schemes a TLS 1.2 server signs its key exchange with, using `fs_suites`
/// (signed ECDHE/DHE suites it accepts).
pub async fn tls12_signature_schemes(
    prober: &Prober,
    fs_suites: &[u16],
) -> Result<Vec<u16>, String> {
    let mut remaining: Vec<u16> = signature_schemes::EVERYTHING.to_vec();
    let mut found = Vec::new();
    while !remaining.is_empty() {
        let hello = ClientHello::for_version(ProtocolVersion::Tls12, fs_suites)
            .with_signature_algorithms(&remaining);
        let flight = prober.send(&hello).await;
        match flight.verdict() {
            Verdict::Accepted { .. } => {
                let Some(scheme) = flight
                    .server_key_exchange
                    .as_ref()
                    .and_then(|s| s.signature_algorithm)
                else {
                    break;
                };
                if !remaining.contains(&scheme) {
                    // Servers with one certificate may sign with its only scheme regardless.
                    break;
                }
                remaining.retain(|s| *s != scheme);
                found.push(scheme);
            }
            Verdict::Refused(_) => break,
            Verdict::Failed(e) => {
                return if found.is_empty() {
                    Err(e.to_string())
                } else {
                    Ok(found)
                };
            }
            _ => break,
        }
    }
    Ok(found)
}

/// The name of a signature scheme (TLS 1.3 names; TLS 1.2 hash+signature pairs otherwise).
pub fn scheme_name(id: u16) -> String {
    if let Some(info) = signature_schemes::by_id(id) {
        return info.name.to_owned();
    }
    let [hash, signature] = id.to_be_bytes();
    match (
        signature_schemes::hash_name(hash),
        signature_schemes::signature_name(signature),
    ) {
        (Some(h), Some(s)) => format!("{s}_{h}"),
        _ => format!("0x{id:04x}"),
    }
}

/// The signed forward-secret suites among `accepted` (ECDHE/DHE with a certificate).
pub fn signed_fs_suites(accepted: &[u16]) -> Vec<u16> {
    accepted
        .iter()
        .copied()
        .filter(|id| {
            cipher_suites::by_id(*id).is_some_and(|s| {
                s.forward_secrecy
                    && s.authentication != cipher_suites::Authentication::Anon
                    && matches!(
                        s.key_exchange,
                        cipher_suites::KeyExchange::Ecdhe | cipher_suites::KeyExchange::Dhe
                    )
            })
        })
        .collect()
}

/// The ECDHE suites among `accepted`.
pub fn ecdhe_suites(accepted: &[u16]) -> Vec<u16> {
    accepted
        .iter()
        .copied()
        .filter(|id| {
            cipher_suites::by_id(*id)
                .is_some_and(|s| s.key_exchange == cipher_suites::KeyExchange::Ecdhe)
        })
        .collect()
}

/// The TLS 1.3 groups, in the server's order (HelloRetryRequests: no key exchange).
pub(crate) struct Tls13Groups;

impl Probe for Tls13Groups {
    fn name(&self) -> Step {
        Step::Groups
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let suites = suites::candidates(ProtocolVersion::Tls13);
            let found = tls13_groups(context.prober, &suites).await;
            context.published.tls13_groups.publish(found.clone());
            Box::new(move |observed: &mut Observed| observed.tls13_groups = found) as Recording
        })
    }
}

/// The TLS 1.2 curves: they matter when there is no TLS 1.3 to list the groups.
pub(crate) struct Tls12Curves;

impl Probe for Tls12Curves {
    fn name(&self) -> Step {
        Step::Curves
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let firsts = context.firsts;
            let found = if firsts.wait(ProtocolVersion::Tls13).await != Some(true)
                && firsts.wait(ProtocolVersion::Tls12).await == Some(true)
            {
                let ecdhe = ecdhe_suites(&suites::candidates(ProtocolVersion::Tls12));
                Some(tls12_curves(context.prober, &ecdhe).await)
            } else {
                None
            };
            context.published.tls12_curves.publish(found.clone());
            Box::new(move |observed: &mut Observed| observed.tls12_curves = found) as Recording
        })
    }
}

/// The signature schemes of TLS 1.2 key exchanges.
pub(crate) struct SignatureSchemes;

impl Probe for SignatureSchemes {
    fn name(&self) -> Step {
        Step::SignatureAlgorithms
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let found = if context.firsts.wait(ProtocolVersion::Tls12).await == Some(true) {
                let signed = signed_fs_suites(&suites::candidates(ProtocolVersion::Tls12));
                Some(tls12_signature_schemes(context.prober, &signed).await)
            } else {
                None
            };
            Box::new(move |observed: &mut Observed| observed.signature_schemes = found) as Recording
        })
    }
}
