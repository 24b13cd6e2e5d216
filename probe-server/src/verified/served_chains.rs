//! Both certificates: a server may hold an RSA and an ECDSA (or EdDSA) certificate and pick
//! one by the signature algorithms a client offers. The browser-like handshake shows one
//! chain; this asks again offering every key type's schemes except those already served, so
//! each other chain shows itself.
//!
//! rustls's client sends as signature_algorithms exactly its verifier's schemes, which come
//! from the `CryptoProvider`'s `signature_verification_algorithms`: a provider whose mapping
//! holds only RSA schemes is a client that can verify only an RSA certificate, over TLS 1.3
//! and 1.2 alike (in TLS 1.2 the server then also picks an ECDHE_RSA suite). Excluding what
//! was served, rather than asking for each key type in turn, keeps it to one connection for
//! a server with one certificate (the handshake fails: nothing it holds can be verified) and
//! two for a server with two.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::SignatureScheme;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls_pki_types::{CertificateDer, ServerName};

use super::client::{HandshakeFailure, VerifiedClient};

/// The key type a certificate's signatures are made with, as a client offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Ecdsa,
    Rsa,
    EdDsa,
}

impl KeyFamily {
    const ALL: [Self; 3] = [Self::Ecdsa, Self::Rsa, Self::EdDsa];

    /// The family of a TLS signature scheme; `None` for schemes of no family here (a
    /// restricted client never offers them).
    fn of_scheme(scheme: SignatureScheme) -> Option<Self> {
        use SignatureScheme as S;
        match scheme {
            S::ECDSA_NISTP256_SHA256
            | S::ECDSA_NISTP384_SHA384
            | S::ECDSA_NISTP521_SHA512
            | S::ECDSA_SHA1_Legacy => Some(Self::Ecdsa),
            S::RSA_PKCS1_SHA1
            | S::RSA_PKCS1_SHA256
            | S::RSA_PKCS1_SHA384
            | S::RSA_PKCS1_SHA512
            | S::RSA_PSS_SHA256
            | S::RSA_PSS_SHA384
            | S::RSA_PSS_SHA512 => Some(Self::Rsa),
            S::ED25519 | S::ED448 => Some(Self::EdDsa),
            _ => None,
        }
    }

    /// The family of a leaf's key, from its `PublicKeyInfo::algorithm` name.
    pub(crate) fn of_key_algorithm(algorithm: &str) -> Option<Self> {
        match algorithm {
            "EC" => Some(Self::Ecdsa),
            "RSA" => Some(Self::Rsa),
            "Ed25519" | "Ed448" => Some(Self::EdDsa),
            _ => None,
        }
    }

    /// The name a report uses for the family's signatures.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Ecdsa => "ECDSA",
            Self::Rsa => "RSA",
            Self::EdDsa => "EdDSA",
        }
    }

    const fn bit(self) -> usize {
        match self {
            Self::Ecdsa => 1,
            Self::Rsa => 2,
            Self::EdDsa => 4,
        }
    }
}

/// The families a client offers, in words: "clients offering only RSA signatures".
pub(crate) fn served_to(offered: &[KeyFamily]) -> String {
    let names: Vec<&str> = offered.iter().map(|f| f.name()).collect();
    format!("clients offering only {} signatures", names.join(" or "))
}

/// aws-lc-rs restricted to the schemes of `families`. Built once per set (at most eight,
/// so leaking the scheme tables `WebPkiSupportedAlgorithms` needs as `'static` is bounded).
fn provider_offering(families: &[KeyFamily]) -> Arc<CryptoProvider> {
    static PROVIDERS: [OnceLock<Arc<CryptoProvider>>; 8] = [const { OnceLock::new() }; 8];
    let mask = families.iter().fold(0, |m, f| m | f.bit());
    PROVIDERS[mask]
        .get_or_init(|| {
            let mut provider = rustls::crypto::aws_lc_rs::default_provider();
            let all = provider.signature_verification_algorithms;
            let mapping: Vec<_> = all
                .mapping
                .iter()
                .filter(|(scheme, _)| {
                    KeyFamily::of_scheme(*scheme).is_some_and(|f| families.contains(&f))
                })
                .copied()
                .collect();
            provider.signature_verification_algorithms = WebPkiSupportedAlgorithms {
                all: all.all,
                mapping: Box::leak(mapping.into_boxed_slice()),
            };
            Arc::new(provider)
        })
        .clone()
}

/// A chain served to a client offering only some families.
#[derive(Debug, Clone)]
pub(crate) struct ServedChain {
    /// What the client offered.
    pub offered: Vec<KeyFamily>,
    pub chain: Vec<CertificateDer<'static>>,
    pub ocsp: Vec<u8>,
}

/// The key family of a chain's leaf (`None` when it cannot be told).
fn leaf_family(chain: &[CertificateDer<'static>]) -> Option<KeyFamily> {
    let leaf = chain.first()?;
    let info =
        crate::pki::certificate::CertificateInfo::parse(leaf, time::OffsetDateTime::now_utc())
            .ok()?;
    KeyFamily::of_key_algorithm(&info.summary.key.algorithm)
}

/// Where and how long, for [`other_chains`].
#[derive(Debug, Clone)]
pub(crate) struct ChainRequest {
    pub address: SocketAddr,
    pub name: ServerName<'static>,
    pub connect: Duration,
    pub handshake: Duration,
}

/// Every chain the server serves besides `first` (the browser-like client's), asking at
/// most [`KeyFamily::ALL`]`.len() - 1` times and stopping at the first client nothing is
/// served to. `on_connect` is called before each connection (to count it). Returns the
/// chains found, and the failure that stopped the search when it was not the server
/// refusing (a refusal is the answer: no other certificate).
pub(crate) async fn other_chains(
    client: &VerifiedClient,
    request: &ChainRequest,
    first: &[CertificateDer<'static>],
    on_connect: impl Fn(),
) -> (Vec<ServedChain>, Option<HandshakeFailure>) {
    let Some(first_family) = leaf_family(first) else {
        return (Vec::new(), None);
    };
    let mut served = vec![first_family];
    let mut found = Vec::new();
    for _ in 1..KeyFamily::ALL.len() {
        let offered: Vec<KeyFamily> = KeyFamily::ALL
            .into_iter()
            .filter(|f| !served.contains(f))
            .collect();
        if offered.is_empty() {
            break;
        }
        on_connect();
        let (chain, ocsp) = match client
            .chain_offering(
                provider_offering(&offered),
                request.address,
                request.name.clone(),
                request.connect,
                request.handshake,
            )
            .await
        {
            Ok(got) => got,
            // The server holds nothing these clients can verify.
            Err(HandshakeFailure::Tls(_)) => break,
            Err(other) => return (found, Some(other)),
        };
        // A server that answers with a chain the client did not ask for (its only one, for
        // any client) has nothing else to show; rustls fails such a handshake on the
        // signature anyway, but a chain is judged only when it is of a family offered.
        let Some(family) = leaf_family(&chain).filter(|f| offered.contains(f)) else {
            break;
        };
        served.push(family);
        found.push(ServedChain {
            offered,
            chain,
            ocsp,
        });
    }
    (found, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restricted_provider_offers_only_its_families_schemes() {
        let rsa = provider_offering(&[KeyFamily::Rsa]);
        let schemes = rsa.signature_verification_algorithms.supported_schemes();
        assert!(!schemes.is_empty());
        assert!(
            schemes
                .iter()
                .all(|s| KeyFamily::of_scheme(*s) == Some(KeyFamily::Rsa)),
            "{schemes:?}"
        );
        let others = provider_offering(&[KeyFamily::Rsa, KeyFamily::EdDsa]);
        let schemes = others.signature_verification_algorithms.supported_schemes();
        assert!(schemes.contains(&SignatureScheme::ED25519), "{schemes:?}");
        assert!(
            !schemes.contains(&SignatureScheme::ECDSA_NISTP256_SHA256),
            "{schemes:?}"
        );
    }

    #[test]
    fn served_to_names_what_was_offered() {
        assert_eq!(
            served_to(&[KeyFamily::Rsa, KeyFamily::EdDsa]),
            "clients offering only RSA or EdDSA signatures"
        );
    }
}
