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
use super::refusal::send_plainer;
use super::suites;
use crate::iana::{cipher_suites, groups, signature_schemes};
use crate::wire::extensions::ext;
use crate::wire::server::KeyExchangeParams;
use crate::wire::{ClientHello, ServerFlight, Verdict};

/// The groups found, in the server's order when it has one.
#[derive(Debug, Clone, Default)]
pub struct GroupSurvey {
    pub groups: Vec<u16>,
    pub server_preference: Option<bool>,
    pub error: Option<String>,
    /// A HelloRetryRequest named a group that was not offered (a server bug that every
    /// TLS 1.3 client must abort on, RFC 8446 4.1.4): what it named, recorded instead of
    /// ending the enumeration.
    pub unoffered_retry_group: Option<u16>,
}

/// The TLS 1.3 groups the server accepts.
pub async fn tls13_groups(prober: &Prober, suites: &[u16]) -> GroupSurvey {
    let candidates: Vec<u16> = groups::GROUPS
        .iter()
        .filter(|g| g.tls13())
        .map(|g| g.id)
        .collect();
    let unoffered = std::sync::Mutex::new(None);
    let unoffered = &unoffered;
    let ask = |offer: Vec<u16>| async move {
        let question = [ext::SUPPORTED_GROUPS, ext::KEY_SHARE];
        let asked = send_plainer(prober, &question, |_| {
            ClientHello::for_version(ProtocolVersion::Tls13, suites).with_groups(&offer, 0)
        })
        .await;
        let flight = asked.answer;
        match flight.verdict() {
            Verdict::HelloRetry {
                group: Some(group), ..
            } if offer.contains(&group) => Ok(Some(group)),
            // Without a share the server cannot accept outright; either way it named a group.
            Verdict::Accepted {
                group: Some(group), ..
            } if offer.contains(&group) => Ok(Some(group)),
            // A server bug, not an answer: it accepts none of the offer as far as we can tell.
            Verdict::HelloRetry {
                group: Some(group), ..
            } => {
                if let Ok(mut seen) = unoffered.lock() {
                    seen.get_or_insert(group);
                }
                Ok(None)
            }
            // wolfSSL answers a hello offering none of its groups with a HelloRetryRequest
            // that names no group: no share we could send would be accepted, a refusal.
            Verdict::HelloRetry { group: None, .. } | Verdict::Refused(_) => Ok(None),
            Verdict::Failed(e) => Err(e.to_string()),
            other => Err(format!(
                "unexpected answer to an empty key_share: {other:?}"
            )),
        }
    };
    let mut survey = enumerate(candidates, LIKELY_TLS13, ask).await;
    survey.unoffered_retry_group = unoffered.lock().ok().and_then(|seen| *seen);
    survey
}

/// The curves a TLS 1.2 server uses with `ecdhe_suites`.
pub async fn tls12_curves(prober: &Prober, ecdhe_suites: &[u16]) -> GroupSurvey {
    let candidates = tls12_curve_candidates();
    let ask = |offer: Vec<u16>| async move {
        let question = [ext::SUPPORTED_GROUPS];
        let asked = send_plainer(prober, &question, |_| {
            ClientHello::for_version(ProtocolVersion::Tls12, ecdhe_suites).with_groups(&offer, 0)
        })
        .await;
        let flight = asked.answer;
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
    let likely = candidates.clone();
    enumerate(candidates, &likely, ask).await
}

/// Every curve of the IANA registry that TLS 1.2 can negotiate, in code-point order: the
/// binary and prime curves, x25519/x448, brainpool, GOST, and the explicit-curve markers
/// (not the TLS 1.3-only brainpool and SM2 groups, nor ffdhe, ML-KEM and hybrids), so that
/// nothing a server accepts goes unseen.
pub fn tls12_curve_candidates() -> Vec<u16> {
    groups::GROUPS
        .iter()
        .filter(|g| match g.kind {
            groups::GroupKind::PrimeCurve => !g.name.ends_with("tls13"),
            groups::GroupKind::BinaryCurve | groups::GroupKind::Montgomery => true,
            groups::GroupKind::Other => g.name.starts_with("GC") || g.name.starts_with("arbitrary"),
            _ => false,
        })
        .map(|g| g.id)
        .collect()
}

/// The curve of an ECDHE key exchange: its named curve, or the registry's marker for an
/// explicit prime (0xFF01) or binary (0xFF02) curve.
fn named_curve(flight: &ServerFlight) -> Option<u16> {
    match &flight.server_key_exchange.as_ref()?.params {
        KeyExchangeParams::Ecdh {
            named_curve: Some(curve),
            ..
        } => Some(*curve),
        KeyExchangeParams::Ecdh { curve_type: 1, .. } => Some(0xFF01),
        KeyExchangeParams::Ecdh { curve_type: 2, .. } => Some(0xFF02),
        _ => None,
    }
}

/// The groups servers most often accept, the most often preferred first (the default lists
/// of OpenSSL 3, BoringSSL, Go and GnuTLS). The enumeration splits its candidates so that
/// each of its two chains gets about half of these, and guesses from this order how the two
/// chains' answers interleave; a guess only chooses which comparison to ask, the answers
/// decide the order.
const LIKELY_TLS13: &[u16] = &[
    groups::ids::X25519_MLKEM768,
    groups::ids::X25519,
    groups::ids::SECP256R1,
    groups::ids::X448,
    groups::ids::SECP521R1,
    groups::ids::SECP384R1,
    groups::ids::FFDHE2048,
    groups::ids::FFDHE3072,
    groups::ids::FFDHE4096,
    groups::ids::FFDHE6144,
    groups::ids::FFDHE8192,
    groups::ids::SECP256R1_MLKEM768,
    groups::ids::SECP384R1_MLKEM1024,
];

/// Enumerates the groups among `candidates` that `ask` (one hello offering a list, answered
/// by the group the server picks, `None` for a refusal) finds, in the server's order.
///
/// The one-chain walk (offer all, remove the pick, again) takes one round trip per group.
/// Instead, at once: two chains over two halves of the candidates (split by `likely`, see
/// [`LIKELY_TLS13`]), and one hello offering every candidate reversed.
/// - A server that follows the client's order picks, in each chain, our earliest; reversed,
///   our last. Then the groups are the chains' picks in our order (as many connections as
///   the walk and its reversed check).
/// - A server with its own order picks its favourite whatever our order: each chain lists its
///   half in the server's order, and the reversed hello names the favourite of all. The two
///   lists are merged by asking the server to choose between two groups, only where two
///   neighbours of the merged order come from different chains and no answer says yet which
///   comes first (once every such pair is answered, the order is exact: each neighbour pair
///   is then known, and a preference is a total order). With a usual server that is one or
///   two hellos.
async fn enumerate<F, Fut>(candidates: Vec<u16>, likely: &[u16], ask: F) -> GroupSurvey
where
    F: Fn(Vec<u16>) -> Fut,
    Fut: std::future::Future<Output = Result<Option<u16>, String>>,
{
    let mut survey = GroupSurvey::default();
    let position = |g: u16| {
        candidates
            .iter()
            .position(|c| *c == g)
            .unwrap_or(usize::MAX)
    };
    let likely_here: Vec<u16> = likely
        .iter()
        .copied()
        .filter(|g| candidates.contains(g))
        .collect();
    let first_half = &likely_here[..likely_here.len() / 2];
    let (low, high): (Vec<u16>, Vec<u16>) = candidates.iter().partition(|g| first_half.contains(g));
    let reversed: Vec<u16> = candidates.iter().rev().copied().collect();
    let (favourite, low, high) = tokio::join!(
        Box::pin(ask(reversed)),
        Box::pin(chain(low, &ask)),
        Box::pin(chain(high, &ask))
    );
    survey.error = low.1.or(high.1);
    let (low, high) = (low.0, high.0);
    let mut by_position: Vec<u16> = low.iter().chain(&high).copied().collect();
    by_position.sort_by_key(|g| position(*g));
    if by_position.len() < 2 {
        survey.groups = by_position;
        return survey;
    }
    let increasing = |list: &[u16]| list.windows(2).all(|w| position(w[0]) < position(w[1]));
    let follows_us = increasing(&low) && increasing(&high);
    let favourite = match favourite {
        Ok(Some(g)) if by_position.contains(&g) => Some(g),
        Ok(Some(g)) => {
            survey.error.get_or_insert_with(|| {
                format!("the server named group 0x{g:04x} but accepted no hello offering it")
            });
            None
        }
        Ok(None) => None,
        Err(e) => {
            survey.error.get_or_insert(e);
            None
        }
    };
    let last = by_position.last().copied();
    if follows_us && favourite.is_some() && favourite == last {
        // Our last, reversed: the client's order, unless that group is alone in its chain
        // (then it may be the server's favourite, which a chain picks first): one hello tells.
        let alone = low == [last.unwrap_or_default()] || high == [last.unwrap_or_default()];
        let clients = !alone
            || matches!(ask(vec![by_position[0], last.unwrap_or_default()]).await,
                Ok(Some(g)) if g == by_position[0]);
        if clients {
            survey.groups = by_position;
            survey.server_preference = Some(false);
            return survey;
        }
    }
    let mut known: Vec<(u16, u16)> = Vec::new();
    if let Some(top) = favourite {
        known.extend(by_position.iter().filter(|g| **g != top).map(|g| (top, *g)));
    }
    let rank = |g: u16| {
        likely
            .iter()
            .position(|l| *l == g)
            .unwrap_or(likely.len() + position(g))
    };
    // Bounded: each round learns at least one pair, of at most |low| x |high|.
    for _ in 0..=low.len() * high.len() {
        let (merged, open) = merge(&low, &high, &known, rank);
        if open.is_empty() {
            survey.groups = merged;
            survey.server_preference = favourite.map(|_| true);
            return survey;
        }
        let answers = futures_util::future::join_all(open.iter().map(|&(a, b)| {
            let mut offer = vec![a, b];
            offer.sort_by_key(|g| position(*g));
            ask(offer)
        }))
        .await;
        for ((a, b), answer) in open.into_iter().zip(answers) {
            match answer {
                Ok(Some(w)) if w == a => known.push((a, b)),
                Ok(Some(w)) if w == b => known.push((b, a)),
                other => {
                    survey.error.get_or_insert_with(|| match other {
                        Err(e) => e,
                        _ => format!(
                            "asked to choose between 0x{a:04x} and 0x{b:04x}, both accepted \
                             before, the server answered {other:?}"
                        ),
                    });
                    survey.groups = merged;
                    return survey;
                }
            }
        }
    }
    // Not reached with a server that has an order; one that has none gets the last merge.
    survey.groups = merge(&low, &high, &known, rank).0;
    survey
}

/// Merges two lists each in the server's order, choosing between their heads by a `known`
/// (winner, loser) answer or else by `rank`; also returns the neighbours from different
/// lists that were chosen by rank alone (the comparisons still to ask).
fn merge(
    low: &[u16],
    high: &[u16],
    known: &[(u16, u16)],
    rank: impl Fn(u16) -> usize,
) -> (Vec<u16>, Vec<(u16, u16)>) {
    let (mut i, mut j) = (0, 0);
    let mut merged = Vec::with_capacity(low.len() + high.len());
    let mut open = Vec::new();
    while i < low.len() && j < high.len() {
        let (a, b) = (low[i], high[j]);
        let low_first = if known.contains(&(a, b)) {
            true
        } else if known.contains(&(b, a)) {
            false
        } else {
            open.push((a, b));
            rank(a) <= rank(b)
        };
        merged.push(if low_first { a } else { b });
        if low_first {
            i += 1;
        } else {
            j += 1;
        }
    }
    merged.extend_from_slice(&low[i..]);
    merged.extend_from_slice(&high[j..]);
    // Only a guess whose two groups end up neighbours needs an answer: the others follow
    // from the neighbours' by transitivity.
    open.retain(|(a, b)| {
        merged
            .windows(2)
            .any(|w| (w[0] == *a && w[1] == *b) || (w[0] == *b && w[1] == *a))
    });
    (merged, open)
}

/// Offers `remaining`, notes the pick, offers the rest, until the server refuses: the picks
/// in order, and what went wrong if something did.
async fn chain<F, Fut>(mut remaining: Vec<u16>, ask: &F) -> (Vec<u16>, Option<String>)
where
    F: Fn(Vec<u16>) -> Fut,
    Fut: std::future::Future<Output = Result<Option<u16>, String>>,
{
    let mut found = Vec::new();
    // Bounded: each round removes one group or stops.
    while !remaining.is_empty() {
        match ask(remaining.clone()).await {
            Ok(Some(group)) if remaining.contains(&group) => {
                remaining.retain(|g| *g != group);
                found.push(group);
            }
            Ok(Some(group)) => {
                return (
                    found,
                    Some(format!(
                        "the server picked 0x{group:04x}, which was not offered"
                    )),
                );
            }
            Ok(None) => break,
            Err(e) => return (found, Some(e)),
        }
    }
    (found, None)
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
        let question = [ext::SIGNATURE_ALGORITHMS];
        let flight = send_plainer(prober, &question, |_| {
            ClientHello::for_version(ProtocolVersion::Tls12, fs_suites)
                .with_signature_algorithms(&remaining)
        })
        .await
        .answer;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::iana::groups::ids::*;

    /// The answers of a server that accepts `accepted` (in its order of preference) and
    /// picks by that order or, with `client_order`, by the order offered.
    fn answers(accepted: &[u16], client_order: bool, offer: &[u16]) -> Option<u16> {
        if client_order {
            offer.iter().copied().find(|g| accepted.contains(g))
        } else {
            accepted.iter().copied().find(|g| offer.contains(g))
        }
    }

    fn candidates() -> Vec<u16> {
        groups::GROUPS
            .iter()
            .filter(|g| g.tls13())
            .map(|g| g.id)
            .collect()
    }

    /// Enumerates a server as [`answers`] models it: the survey and the hellos it took.
    fn run(accepted: &[u16], client_order: bool) -> (GroupSurvey, usize) {
        let hellos = AtomicUsize::new(0);
        let ask = |offer: Vec<u16>| {
            hellos.fetch_add(1, Ordering::Relaxed);
            let pick = answers(accepted, client_order, &offer);
            async move { Ok(pick) }
        };
        let survey = block_on(enumerate(candidates(), LIKELY_TLS13, ask));
        (survey, hellos.load(Ordering::Relaxed))
    }

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    const OPENSSL_30: &[u16] = &[
        X25519, SECP256R1, X448, SECP521R1, SECP384R1, FFDHE2048, FFDHE3072, FFDHE4096, FFDHE6144,
        FFDHE8192,
    ];

    #[test]
    fn server_order_is_exact_and_costs_little_more_than_the_walk() {
        let (survey, hellos) = run(OPENSSL_30, false);
        assert_eq!(survey.groups, OPENSSL_30);
        assert_eq!(survey.server_preference, Some(true));
        assert_eq!(survey.error, None);
        // The walk: ten picks, a refusal, the reversed check. Here: the reversed hello, two
        // chains (ten picks, two refusals) and one comparison (ffdhe2048 / ffdhe3072).
        assert_eq!(hellos, 14);
    }

    #[test]
    fn client_order_costs_what_the_walk_costs() {
        let (survey, hellos) = run(OPENSSL_30, true);
        let mut expected = OPENSSL_30.to_vec();
        expected.sort_unstable();
        assert_eq!(survey.groups, expected, "our order: code points");
        assert_eq!(survey.server_preference, Some(false));
        assert_eq!(hellos, OPENSSL_30.len() + 3);
    }

    #[test]
    fn every_order_of_a_few_groups_comes_out_exactly() {
        // Orders no guess foresees: reversed, interleaved, exotic groups first.
        let orders: &[&[u16]] = &[
            &[FFDHE8192, FFDHE2048, SECP384R1, X25519],
            &[
                SECP384R1, FFDHE3072, SECP256R1, FFDHE4096, X25519, FFDHE2048,
            ],
            &[0x0029, X25519, 0x0022, SECP256R1, X25519_MLKEM768],
            &[FFDHE6144, X448],
            &[X25519],
            &[
                FFDHE8192, FFDHE6144, FFDHE4096, FFDHE3072, FFDHE2048, X448, SECP521R1,
            ],
        ];
        for accepted in orders {
            let (survey, hellos) = run(accepted, false);
            assert_eq!(&survey.groups, accepted, "server order {accepted:x?}");
            let expected = (accepted.len() >= 2).then_some(true);
            assert_eq!(survey.server_preference, expected, "{accepted:x?}");
            assert!(
                hellos <= accepted.len() * accepted.len() + 4,
                "{hellos} hellos"
            );
            let (survey, _) = run(accepted, true);
            let mut sorted = accepted.to_vec();
            sorted.sort_unstable();
            assert_eq!(survey.groups, sorted, "client order {accepted:x?}");
        }
    }

    #[test]
    fn a_server_with_nothing_in_common_costs_three_hellos() {
        let (survey, hellos) = run(&[], false);
        assert!(survey.groups.is_empty());
        assert_eq!(survey.server_preference, None);
        assert_eq!(hellos, 3);
    }
}
