//! The prediction: what a client would negotiate, from what the survey already knows
//! (versions, suites and whose order picks them, groups, DH sizes). Pure: no I/O.
//!
//! A server picks the highest version both speak (TLS 1.3 through supported_versions, below
//! it the highest version it accepts that is not above the client's legacy_version), then a
//! suite: the first of its own list the client offers when it chooses by its own order, else
//! the client's first it accepts; then the group the same way. Where the survey could not
//! tell whose order it is and more than one choice fits, the prediction is marked inexact;
//! the real handshake of [`super::confirm`] settles it.

use shared::{KeyExchange, ProtocolSupport, ProtocolVersion, SimulationFailure};

use super::clients::{Client, is_curve};
use crate::iana::cipher_suites::{self, KeyExchange as Kx};
use crate::iana::groups;

/// What the survey found, as the prediction needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerView {
    /// Each version tested, with whether it is supported; absent or `None`: unknown.
    pub versions: Vec<VersionView>,
    /// The groups the server accepts (TLS 1.3 groups, or TLS 1.2 curves when the server has
    /// no TLS 1.3), in its order when `group_preference` is true.
    pub groups: Option<Vec<u16>>,
    pub group_preference: Option<bool>,
}

/// One version's survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionView {
    pub version: ProtocolVersion,
    pub supported: Option<bool>,
    /// Accepted suites, in the server's order when `server_preference` is true.
    pub suites: Vec<AcceptedSuite>,
    pub server_preference: Option<bool>,
}

/// An accepted suite and how the server keyed it in the survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedSuite {
    pub id: u16,
    /// The DH group size of a DHE suite.
    pub dh_bits: Option<u16>,
}

impl ServerView {
    /// The view of a report's (or the observations') protocols and key exchange.
    pub fn from_report(protocols: &[ProtocolSupport], key_exchange: &KeyExchange) -> Self {
        Self {
            versions: protocols
                .iter()
                .filter(|p| p.version != ProtocolVersion::Ssl2)
                .map(|p| VersionView {
                    version: p.version,
                    supported: p.supported,
                    suites: p
                        .cipher_suites
                        .iter()
                        .map(|s| AcceptedSuite {
                            id: s.id,
                            dh_bits: s
                                .key_exchange_detail
                                .as_deref()
                                .and_then(|d| d.strip_prefix("DH "))
                                .and_then(|n| n.parse().ok()),
                        })
                        .collect(),
                    server_preference: p.server_preference,
                })
                .collect(),
            groups: key_exchange
                .groups
                .as_ref()
                .filter(|g| !g.is_empty())
                .map(|g| g.iter().map(|g| g.id).collect()),
            group_preference: key_exchange.server_group_preference,
        }
    }

    fn version(&self, version: ProtocolVersion) -> Option<&VersionView> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// True when the survey reached the server (some version's support is known).
    pub fn known(&self) -> bool {
        self.versions.iter().any(|v| v.supported.is_some())
    }
}

/// What a handshake negotiates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Negotiated {
    pub version: ProtocolVersion,
    pub suite: u16,
    pub key_exchange: Option<KeyShare>,
}

/// How the keys were agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyShare {
    /// A named group (TLS 1.3 group, ECDHE curve).
    Group(u16),
    /// Finite-field DH of this size (TLS ≤ 1.2 DHE).
    Dh(u16),
}

/// A client's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Connected(Negotiated),
    Failed {
        reason: SimulationFailure,
        detail: String,
    },
}

impl Outcome {
    fn failed(reason: SimulationFailure, detail: impl Into<String>) -> Self {
        Self::Failed {
            reason,
            detail: detail.into(),
        }
    }

    /// What makes two outcomes the same for confirmation: the negotiated triple, or the
    /// failure's reason.
    pub fn key(&self) -> OutcomeKey {
        match self {
            Self::Connected(n) => OutcomeKey::Connected(*n),
            Self::Failed { reason, .. } => OutcomeKey::Failed(*reason),
        }
    }
}

/// See [`Outcome::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeKey {
    Connected(Negotiated),
    Failed(SimulationFailure),
}

/// A prediction and whether the survey determined it exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    pub outcome: Outcome,
    pub exact: bool,
}

/// Predicts `client`'s handshake with the server `server` describes.
pub fn predict(client: &Client, server: &ServerView) -> Prediction {
    let mut exact = true;
    // 1. The version.
    let supported = |v: ProtocolVersion| server.version(v).and_then(|x| x.supported);
    if server
        .versions
        .iter()
        .any(|v| v.supported.is_none() && client.versions.contains(&v.version))
    {
        exact = false;
    }
    let version = if client.versions.contains(&ProtocolVersion::Tls13)
        && supported(ProtocolVersion::Tls13) == Some(true)
    {
        Some(ProtocolVersion::Tls13)
    } else {
        let ceiling = client.legacy_version.min(ProtocolVersion::Tls12);
        [
            ProtocolVersion::Tls12,
            ProtocolVersion::Tls11,
            ProtocolVersion::Tls10,
            ProtocolVersion::Ssl3,
        ]
        .into_iter()
        .find(|v| *v <= ceiling && supported(*v) == Some(true))
    };
    let Some(version) = version else {
        return Prediction {
            outcome: Outcome::failed(
                SimulationFailure::NoCommonVersion,
                format!(
                    "the client offers {}; the server accepts {}",
                    span(&client.versions),
                    span(&supported_versions(server))
                ),
            ),
            exact,
        };
    };
    if !client.accepts_version(version) {
        return Prediction {
            outcome: Outcome::failed(
                SimulationFailure::NoCommonVersion,
                format!(
                    "the server answers with {}; the client needs {} or newer",
                    version.display_name(),
                    client.lowest_version().display_name()
                ),
            ),
            exact,
        };
    }
    let Some(view) = server.version(version) else {
        return Prediction {
            outcome: Outcome::failed(SimulationFailure::NoCommonSuite, "no suites known"),
            exact: false,
        };
    };

    // 2. The suite. ECDHE suites below TLS 1.3 need a curve both have.
    let curves = common_curves(client, server);
    let usable = |id: u16| -> bool {
        let Some(info) = cipher_suites::by_id(id) else {
            return false;
        };
        if !info.allowed_in(version) {
            return false;
        }
        if version < ProtocolVersion::Tls13
            && info.key_exchange == Kx::Ecdhe
            && !client.groups.is_empty()
            && curves.as_ref().is_some_and(Vec::is_empty)
        {
            return false;
        }
        true
    };
    let offered: Vec<u16> = client
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| usable(*s))
        .collect();
    let common: Vec<&AcceptedSuite> = view
        .suites
        .iter()
        .filter(|s| offered.contains(&s.id))
        .collect();
    let chosen = match view.server_preference {
        Some(true) => common.first().copied(),
        _ => {
            if view.server_preference.is_none() && common.len() > 1 {
                exact = false;
            }
            offered
                .iter()
                .find_map(|id| common.iter().copied().find(|s| s.id == *id))
        }
    };
    let Some(chosen) = chosen else {
        return Prediction {
            outcome: Outcome::failed(
                SimulationFailure::NoCommonSuite,
                format!(
                    "none of the client's {} suites is among the {} the server accepts in {}",
                    offered.len(),
                    view.suites.len(),
                    version.display_name()
                ),
            ),
            exact,
        };
    };
    let Some(info) = cipher_suites::by_id(chosen.id) else {
        return Prediction {
            outcome: Outcome::failed(SimulationFailure::NoCommonSuite, "unknown suite"),
            exact: false,
        };
    };

    // 3. The key exchange.
    let key_exchange = if version == ProtocolVersion::Tls13 {
        match tls13_group(client, server) {
            GroupChoice::Chosen(g, sure) => {
                exact &= sure;
                Some(KeyShare::Group(g))
            }
            GroupChoice::Unknown => {
                exact = false;
                client.key_shares.first().copied().map(KeyShare::Group)
            }
            GroupChoice::None => {
                return Prediction {
                    outcome: Outcome::failed(
                        SimulationFailure::NoCommonGroup,
                        "the server accepts none of the client's key-exchange groups",
                    ),
                    exact,
                };
            }
        }
    } else {
        match info.key_exchange {
            Kx::Ecdhe => match &curves {
                Some(c) if !c.is_empty() => {
                    if server.group_preference.is_none() && c.len() > 1 {
                        exact = false;
                    }
                    Some(KeyShare::Group(c[0]))
                }
                _ => {
                    exact = false;
                    client.curves().next().map(KeyShare::Group)
                }
            },
            Kx::Dhe => match chosen.dh_bits {
                Some(bits) => Some(KeyShare::Dh(bits)),
                None => {
                    exact = false;
                    None
                }
            },
            _ => None,
        }
    };
    let negotiated = Negotiated {
        version,
        suite: chosen.id,
        key_exchange,
    };
    Prediction {
        outcome: client_verdict(client, negotiated),
        exact,
    }
}

/// What the client makes of what the server chose: a DH group outside its limits ends the
/// handshake, anything else connects. (Certificate limits are applied once the certificate is
/// known: [`super::judge_certificate`].)
pub fn client_verdict(client: &Client, negotiated: Negotiated) -> Outcome {
    if let Some(KeyShare::Dh(bits)) = negotiated.key_exchange {
        if let Some(min) = client.min_dh_bits
            && bits < min
        {
            return Outcome::failed(
                SimulationFailure::DhTooSmall,
                format!("the server's DH group has {bits} bits; the client needs {min}"),
            );
        }
        if let Some(max) = client.max_dh_bits
            && bits > max
        {
            return Outcome::failed(
                SimulationFailure::DhTooLarge,
                format!("the server's DH group has {bits} bits; the client handles at most {max}"),
            );
        }
    }
    Outcome::Connected(negotiated)
}

enum GroupChoice {
    /// This group, and whether that is certain.
    Chosen(u16, bool),
    /// The survey did not list the groups.
    Unknown,
    /// No group in common.
    None,
}

/// The TLS 1.3 group: a server takes a share the client sent for a group it accepts (OpenSSL,
/// BoringSSL, rustls do, whatever their own order); failing that it asks, in a
/// HelloRetryRequest, for the group its order (or the client's) picks.
fn tls13_group(client: &Client, server: &ServerView) -> GroupChoice {
    let Some(groups) = &server.groups else {
        return GroupChoice::Unknown;
    };
    let common: Vec<u16> = groups
        .iter()
        .copied()
        .filter(|g| client.groups.contains(g))
        .collect();
    let by_order = match server.group_preference {
        Some(true) => common.first().copied(),
        _ => client.groups.iter().copied().find(|g| common.contains(g)),
    };
    let Some(by_order) = by_order else {
        return GroupChoice::None;
    };
    match client
        .key_shares
        .iter()
        .copied()
        .find(|g| common.contains(g))
    {
        // A server preferring another group may still ask for it instead (GnuTLS with
        // server precedence): the handshake tells.
        Some(shared) => GroupChoice::Chosen(
            shared,
            shared == by_order || server.group_preference == Some(false),
        ),
        None => GroupChoice::Chosen(by_order, server.group_preference.is_some()),
    }
}

/// The curves both accept for TLS ≤ 1.2 ECDHE, in the order that picks them; `None` when
/// the survey listed no groups.
fn common_curves(client: &Client, server: &ServerView) -> Option<Vec<u16>> {
    let groups = server.groups.as_ref()?;
    let server_curves: Vec<u16> = groups.iter().copied().filter(|g| is_curve(*g)).collect();
    if client.groups.is_empty() {
        // No supported_groups: RFC 4492 lets the server use any curve.
        return Some(server_curves);
    }
    Some(match server.group_preference {
        Some(true) => server_curves
            .into_iter()
            .filter(|g| client.groups.contains(g))
            .collect(),
        _ => client
            .curves()
            .filter(|g| server_curves.contains(g))
            .collect(),
    })
}

fn supported_versions(server: &ServerView) -> Vec<ProtocolVersion> {
    server
        .versions
        .iter()
        .filter(|v| v.supported == Some(true))
        .map(|v| v.version)
        .collect()
}

/// "TLS 1.0 to TLS 1.2", "TLS 1.3", "nothing".
fn span(versions: &[ProtocolVersion]) -> String {
    let (Some(lo), Some(hi)) = (versions.iter().min(), versions.iter().max()) else {
        return "nothing".into();
    };
    if lo == hi {
        lo.display_name().into()
    } else {
        format!("{} to {}", lo.display_name(), hi.display_name())
    }
}

/// "x25519", "DH 2048".
pub fn key_share_name(share: KeyShare) -> String {
    match share {
        KeyShare::Group(g) => {
            groups::name_of(g).map_or_else(|| format!("0x{g:04x}"), str::to_owned)
        }
        KeyShare::Dh(bits) => format!("DH {bits}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iana::groups::ids;
    use crate::survey::simulation::clients::all;

    fn client(name: &str, version: &str) -> &'static Client {
        all()
            .iter()
            .find(|c| c.name == name && c.version.starts_with(version))
            .unwrap_or_else(|| panic!("{name} {version}"))
    }

    fn server(
        versions: &[(ProtocolVersion, &[u16])],
        preference: Option<bool>,
        groups: &[u16],
    ) -> ServerView {
        ServerView {
            versions: [
                ProtocolVersion::Ssl3,
                ProtocolVersion::Tls10,
                ProtocolVersion::Tls11,
                ProtocolVersion::Tls12,
                ProtocolVersion::Tls13,
            ]
            .into_iter()
            .map(|v| {
                let suites = versions.iter().find(|(x, _)| *x == v).map(|(_, s)| *s);
                VersionView {
                    version: v,
                    supported: Some(suites.is_some()),
                    suites: suites
                        .unwrap_or_default()
                        .iter()
                        .map(|id| AcceptedSuite {
                            id: *id,
                            dh_bits: (cipher_suites::by_id(*id).map(|s| s.key_exchange)
                                == Some(Kx::Dhe))
                            .then_some(1024),
                        })
                        .collect(),
                    server_preference: suites.map(|_| preference).unwrap_or_default(),
                }
            })
            .collect(),
            groups: Some(groups.to_vec()),
            group_preference: Some(true),
        }
    }

    fn connected(p: &Prediction) -> Negotiated {
        match &p.outcome {
            Outcome::Connected(n) => *n,
            other => panic!("{other:?}"),
        }
    }

    fn reason(p: &Prediction) -> SimulationFailure {
        match &p.outcome {
            Outcome::Failed { reason, .. } => *reason,
            other => panic!("{other:?}"),
        }
    }

    const MODERN12: &[u16] = &[0xC02F, 0xC030, 0xCCA8, 0xC013];

    #[test]
    fn a_modern_server_gives_browsers_tls13_with_their_share() {
        let s = server(
            &[
                (ProtocolVersion::Tls13, &[0x1301, 0x1302, 0x1303]),
                (ProtocolVersion::Tls12, MODERN12),
            ],
            Some(true),
            &[ids::X25519_MLKEM768, ids::X25519, ids::SECP256R1],
        );
        let chrome = predict(client("Chrome", "137"), &s);
        let n = connected(&chrome);
        assert_eq!(n.version, ProtocolVersion::Tls13);
        assert_eq!(n.suite, 0x1301);
        assert_eq!(n.key_exchange, Some(KeyShare::Group(ids::X25519_MLKEM768)));
        assert!(chrome.exact);
        // Java 8 offers no TLS 1.3 here... but 8u442 does: TLS 1.3 with x25519 (its share).
        let java = connected(&predict(client("Java", "8u442"), &s));
        assert_eq!(java.version, ProtocolVersion::Tls13);
        assert_eq!(java.key_exchange, Some(KeyShare::Group(ids::X25519)));
        // IE 11 on Windows 7: TLS 1.2, its first suite the server accepts under the server's
        // order: ECDHE-RSA-AES128-GCM is not in IE's list, ECDHE-RSA-AES128-SHA is.
        let ie = connected(&predict(client("IE", "11"), &s));
        assert_eq!(ie.version, ProtocolVersion::Tls12);
        assert_eq!(ie.suite, 0xC013);
        assert_eq!(ie.key_exchange, Some(KeyShare::Group(ids::SECP256R1)));
    }

    #[test]
    fn versions_that_do_not_meet_fail() {
        let tls13_only = server(
            &[(ProtocolVersion::Tls13, &[0x1301])],
            Some(true),
            &[ids::X25519],
        );
        assert_eq!(
            reason(&predict(client("IE", "11"), &tls13_only)),
            SimulationFailure::NoCommonVersion
        );
        let tls10_only = server(&[(ProtocolVersion::Tls10, &[0x002F, 0xC013])], None, &[]);
        let chrome = predict(client("Chrome", "137"), &tls10_only);
        assert_eq!(reason(&chrome), SimulationFailure::NoCommonVersion);
        // OpenSSL 3.0 offers TLS 1.0 but does not complete it at security level 2.
        assert_eq!(
            reason(&predict(client("OpenSSL", "3.0"), &tls10_only)),
            SimulationFailure::NoCommonVersion
        );
        let old = connected(&predict(client("Android", "4.4"), &tls10_only));
        assert_eq!(old.version, ProtocolVersion::Tls10);
    }

    #[test]
    fn suites_follow_whose_order_it_is() {
        // Accepted in this order; the server's order picks 3DES-free CBC first.
        let suites: &[u16] = &[0x002F, 0xC02F];
        let server_order = server(
            &[(ProtocolVersion::Tls12, suites)],
            Some(true),
            &[ids::X25519],
        );
        let client_order = server(
            &[(ProtocolVersion::Tls12, suites)],
            Some(false),
            &[ids::X25519],
        );
        let firefox = client("Firefox", "137");
        assert_eq!(connected(&predict(firefox, &server_order)).suite, 0x002F);
        assert_eq!(connected(&predict(firefox, &client_order)).suite, 0xC02F);
        let unknown = server(&[(ProtocolVersion::Tls12, suites)], None, &[ids::X25519]);
        assert!(!predict(firefox, &unknown).exact);
    }

    #[test]
    fn no_common_suite_and_dh_limits() {
        let dhe_only = server(&[(ProtocolVersion::Tls12, &[0x009E])], None, &[]);
        // Chrome has no DHE suite at all.
        assert_eq!(
            reason(&predict(client("Chrome", "137"), &dhe_only)),
            SimulationFailure::NoCommonSuite
        );
        // 1024-bit DH: OpenSSL 3.0 at security level 2 needs 2048.
        let openssl = predict(client("OpenSSL", "3.0"), &dhe_only);
        assert_eq!(reason(&openssl), SimulationFailure::DhTooSmall);
        // GnuTLS accepts it.
        let gnutls = connected(&predict(client("GnuTLS", "3.7"), &dhe_only));
        assert_eq!(gnutls.key_exchange, Some(KeyShare::Dh(1024)));
    }

    #[test]
    fn the_view_of_a_report_keeps_dh_sizes() {
        let mut suite = cipher_suites::by_id(0x009E)
            .unwrap()
            .to_shared(Some("DH 1024".into()));
        suite.key_exchange_detail = Some("DH 1024".into());
        let protocols = vec![ProtocolSupport {
            version: ProtocolVersion::Tls12,
            supported: Some(true),
            cipher_suites: vec![suite],
            server_preference: None,
            intolerance: None,
        }];
        let view = ServerView::from_report(&protocols, &KeyExchange::default());
        assert_eq!(view.versions[0].suites[0].dh_bits, Some(1024));
        assert!(view.known());
    }
}
