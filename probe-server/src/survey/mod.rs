//! The survey: the full scan's raw handshakes, through our own ClientHello engine ([`wire`]),
//! for everything rustls cannot tell — every protocol version from SSL 2.0 to TLS 1.3, every
//! accepted cipher suite and the server's order, key-exchange groups (post-quantum hybrids
//! included), DH sizes, signature schemes, features, and the active attack tests.
//!
//! Each probe is one unit behind [`probe::Probe`], listed in [`registry`]; all of them run
//! at once under one per-host connection cap ([`prober::Prober`]), the attack tests waiting
//! only for the first answer of the version they use; [`merge`] turns what they observed
//! into the [`SurveyResult`].
//!
//! [`wire`]: crate::wire

pub mod attacks;
pub mod dh;
mod first_answers;
pub mod groups;
pub mod hello_tolerance;
mod merge;
pub mod outcome;
mod probe;
pub mod prober;
mod published;
pub mod refusal;
mod registry;
pub mod renegotiation;
pub mod resumption;
pub mod robot;
pub mod sct_extension;
pub mod simulation;
pub mod sslv2;
pub mod suites;
mod tls12;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use futures_util::future::join_all;
use rustls_pki_types::CertificateDer;
use shared::{CheckError, Features, KeyExchange, ProtocolSupport, ProtocolVersion, ScanProgress};

use self::first_answers::FirstAnswers;
use self::probe::{Observed, SurveyContext};
use self::prober::Prober;
use self::published::Published;
use crate::survey::outcome::AttackProbes;

/// Where the survey reports each finished step (the scan forwards them to its own stream).
pub type ProgressSender = tokio::sync::mpsc::UnboundedSender<ScanProgress>;

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
    /// The longest each read waits for the server (see
    /// [`prober::Prober::with_first_byte_timeout`]).
    pub first_byte: std::time::Duration,
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
    /// [`simulation::report`]).
    pub simulations: Vec<simulation::Simulated>,
    /// TCP connections the survey opened (the simulation's included).
    pub connections: usize,
    /// The server could not take parallel connections and was surveyed one at a time.
    pub went_sequential: bool,
    /// The TLS signed_certificate_timestamp extension: `Some(None)` asked and not sent,
    /// `None` not asked (no TLS ≤ 1.2, or the hello failed: see `errors`).
    pub sct_extension: Option<Option<Vec<u8>>>,
}

/// Reports each finished step to the update channel.
struct Progress<'a> {
    updates: Option<&'a ProgressSender>,
    done: AtomicU32,
    total: u32,
}

impl Progress<'_> {
    fn step(&self, step: &str, weight: u32) {
        let done = self.done.fetch_add(weight, Ordering::Relaxed) + weight;
        if let Some(updates) = self.updates {
            let _ = updates.send(ScanProgress {
                step: step.to_owned(),
                done,
                total: self.total,
            });
        }
    }
}

/// Runs the survey: every probe of the [`registry`] at once, under the connection cap, then
/// the merge of what they observed.
pub async fn run(request: &SurveyRequest, updates: Option<&ProgressSender>) -> SurveyResult {
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
    }
    .with_first_byte_timeout(request.first_byte);
    let progress = Progress {
        updates,
        done: AtomicU32::new(0),
        total: registry::total_weight(),
    };
    let firsts = FirstAnswers::default();
    let published = Published::default();
    let context = SurveyContext {
        prober: &prober,
        firsts: &firsts,
        published: &published,
    };
    let recordings = join_all(registry::PROBES.iter().map(|probe| {
        let (context, progress) = (&context, &progress);
        async move {
            let recording = probe.run(context).await;
            progress.step(probe.name().as_str(), probe.weight());
            recording
        }
    }))
    .await;
    let mut observed = Observed::default();
    for recording in recordings {
        recording(&mut observed);
    }
    merge::merge(observed, &prober).await
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
