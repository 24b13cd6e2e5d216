//! The verified stage: what a modern client sees. One rustls handshake (every verification
//! failure recorded, not fatal), the HTTP request it carries, a second connection to see
//! whether the session resumes (and, in TLS 1.3, whether it takes 0-RTT), TLS 1.2 support (quick scans), the other ALPN protocol (full
//! scans), the server's other certificate chains ([`super::served_chains`]), and `GET /` on
//! port 80. It fails only when nothing answers at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use shared::{CheckError, Connection, HttpInfo, ProtocolVersion, Step};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::client::{HandshakeFailure, Offer, VerifiedClient};
use super::http;
use super::served_chains::{self, ChainRequest, ServedChain};
use super::tickets::TicketsSeen;
use crate::error::ProbeError;
use crate::iana::cipher_suites;
use crate::target::egress::{Egress, Endpoint};
use crate::target::names::{ScanNames, host_header};
use crate::target::{Host, Target};

/// The stage's own time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTimeouts {
    pub connect: Duration,
    pub handshake: Duration,
    pub http: Duration,
    /// From the ClientHello to the server's first byte (a tarpit fails in this time).
    pub first_byte: Duration,
}

/// What the verified stage saw.
#[derive(Debug, Default)]
pub(crate) struct VerifiedStage {
    pub connection: Option<Connection>,
    pub chain: Vec<CertificateDer<'static>>,
    pub ocsp: Vec<u8>,
    pub http: Option<HttpInfo>,
    /// TLS 1.2 and 1.3 support as a modern client sees it.
    pub tls12: Option<bool>,
    pub tls13: Option<bool>,
    /// ALPN protocols accepted (full scans probe the one not chosen).
    pub alpn: Option<Vec<String>>,
    /// The chains the server serves to clients that cannot verify `chain`'s key type (a
    /// server with an RSA and an ECDSA certificate); empty when it serves one.
    pub other_chains: Vec<ServedChain>,
    /// TLS 1.3 tickets, resumption and 0-RTT, when the first handshake was TLS 1.3 and the
    /// second connection completed.
    pub tls13_sessions: Option<Tls13Sessions>,
    pub errors: Vec<CheckError>,
}

/// What the second connection showed of TLS 1.3 sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tls13Sessions {
    /// The tickets the first connection received before the second started.
    pub tickets: TicketsSeen,
    /// The second connection resumed.
    pub resumed: bool,
    /// It offered 0-RTT (its ticket allowed it) and the server accepted.
    pub early_data_accepted: bool,
}

impl Tls13Sessions {
    /// As the report's features say it.
    pub(crate) fn to_features(self, features: &mut shared::Features) {
        let got_ticket = self.tickets.tls13_tickets > 0;
        features.tls13_resumption = Some(self.resumed);
        features.tls13_tickets = Some(self.tickets.tls13_tickets);
        features.max_early_data_size = got_ticket.then_some(self.tickets.max_early_data_size);
        // Early data needs a resumed session: a server that does not resume cannot accept it.
        features.early_data = got_ticket.then_some(self.resumed && self.early_data_accepted);
    }
}

/// The scan's cap on connections in flight to the host, as this stage gets it: the shared
/// permits, and the one already taken for its first handshake.
#[derive(Debug)]
pub(crate) struct Slots<'a> {
    pub shared: &'a Arc<Semaphore>,
    pub first: OwnedSemaphorePermit,
}

/// What the stage needs.
#[derive(Debug)]
pub(crate) struct StageRequest<'a> {
    pub target: &'a Target,
    pub endpoint: &'a Endpoint,
    pub names: &'a ScanNames,
    pub egress: &'a Egress,
    pub full: bool,
    pub timeouts: StageTimeouts,
}

/// Runs the stage. Every connection it opens is counted in `connections`.
pub(crate) async fn run(
    request: StageRequest<'_>,
    slots: Slots<'_>,
    connections: &AtomicU32,
) -> Result<VerifiedStage, ProbeError> {
    let StageRequest {
        target,
        endpoint,
        names,
        egress,
        full,
        timeouts,
    } = request;
    let t = timeouts;
    let address = endpoint.address;
    // The first-byte deadline: a tarpit fails fast.
    let client = VerifiedClient::new(names.sni.is_some()).with_first_byte_timeout(t.first_byte);
    let handshake = |offer| {
        connections.fetch_add(1, Ordering::Relaxed);
        client.handshake(
            address,
            names.server_name.clone(),
            offer,
            t.connect,
            t.handshake,
        )
    };
    // Each later connection holds a slot of the shared cap while it is open.
    let slot = || async {
        // The semaphore is never closed.
        slots.shared.clone().acquire_owned().await.ok()
    };
    // The first connection keeps its slot through the HTTP request it carries.
    let first_slot = slots.first;
    let first = match handshake(Offer::Modern).await {
        Ok(first) => first,
        Err(HandshakeFailure::Connect(reason)) => {
            return Err(ProbeError::Connect { address, reason });
        }
        Err(HandshakeFailure::Timeout(what, after)) => {
            return Err(ProbeError::Timeout {
                what: format!("{what} with {address}"),
                after,
            });
        }
        Err(HandshakeFailure::Tls(reason)) => {
            // Old servers: a modern client cannot connect, the raw engine still can.
            let message = format!(
                "a modern client (TLS 1.2/1.3 with AEAD suites) could not connect: {reason}"
            );
            return Ok(VerifiedStage {
                errors: vec![CheckError {
                    check: Step::VerifiedHandshake.to_string(),
                    message,
                }],
                ..VerifiedStage::default()
            });
        }
    };
    let mut stage = VerifiedStage {
        chain: first.chain.clone(),
        ocsp: first.ocsp.clone(),
        tls13: Some(first.protocol == ProtocolVersion::Tls13),
        ..VerifiedStage::default()
    };
    let mut connection = Connection {
        protocol_version: first.protocol,
        cipher_suite: cipher_suites::name_of(first.cipher_suite_id)
            .map_or_else(|| first.cipher_suite.clone(), str::to_owned),
        key_exchange_group: first.key_exchange_group.clone(),
        alpn: first.alpn.clone(),
        ocsp_stapled: !first.ocsp.is_empty(),
        session_resumed: None,
        handshake_ms: first.handshake_time.as_millis() as u64,
    };
    let chosen_alpn = first.alpn.clone();
    let h2 = chosen_alpn.as_deref() == Some("h2");
    let protocol = first.protocol;

    // The HTTP request on the first connection, then a second connection to see whether
    // it resumes (TLS 1.3 tickets arrive after the handshake, so it must come after).
    let https_and_resumption = async {
        let https = http::get_over_tls(first.stream, h2, &names.authority, t.http).await;
        drop(first_slot);
        let _slot = slot().await;
        // The tickets the first connection brought, before the second brings its own.
        let tickets = client.tickets_seen();
        let second = handshake(Offer::Modern).await;
        (
            https,
            second.map(|h| (h.resumed, h.early_data_accepted, tickets)),
        )
    };
    // Quick scans ask a modern client about TLS 1.2; full scans learn it from the survey.
    let tls12 = async {
        if protocol == ProtocolVersion::Tls12 {
            return Some(Ok(true));
        }
        if full {
            return None;
        }
        let _slot = slot().await;
        Some(match handshake(Offer::Tls12Only).await {
            Ok(_) => Ok(true),
            Err(HandshakeFailure::Tls(failure)) if failure.refuses_version() => Ok(false),
            Err(other) => Err(other.to_string()),
        })
    };
    // Full scans probe the ALPN protocol the server did not choose.
    let other_alpn = async {
        let other = match chosen_alpn.as_deref() {
            Some("h2") => "http/1.1",
            Some("http/1.1") => "h2",
            _ => return None,
        };
        if !full {
            return None;
        }
        let _slot = slot().await;
        connections.fetch_add(1, Ordering::Relaxed);
        Some((
            other,
            client
                .alpn_probe(
                    address,
                    names.server_name.clone(),
                    other,
                    t.connect,
                    t.handshake,
                )
                .await,
        ))
    };
    // Every other chain the server serves (one connection for a server with one
    // certificate, two with two), beside the rest.
    let other_chains = async {
        let _slot = slot().await;
        let request = ChainRequest {
            address,
            name: names.server_name.clone(),
            connect: t.connect,
            handshake: t.handshake,
        };
        served_chains::other_chains(&client, &request, &stage.chain, || {
            connections.fetch_add(1, Ordering::Relaxed);
        })
        .await
    };
    let plain = async {
        let _slot = slot().await;
        connections.fetch_add(1, Ordering::Relaxed);
        plain_http(egress, target.host(), endpoint, t.http).await
    };
    let ((https, resumed), tls12, plain, other_alpn, (other_chains, other_chains_failure)) =
        tokio::join!(https_and_resumption, tls12, plain, other_alpn, other_chains);
    stage.other_chains = other_chains;
    if let Some(failure) = other_chains_failure {
        stage.errors.push(CheckError {
            check: Step::ServedChains.to_string(),
            message: format!("asking for the server's other certificates: {failure}"),
        });
    }

    connection.session_resumed = match resumed {
        Ok((resumed, early_data_accepted, tickets)) => {
            if protocol == ProtocolVersion::Tls13 {
                stage.tls13_sessions = Some(Tls13Sessions {
                    tickets,
                    resumed,
                    early_data_accepted,
                });
            }
            Some(resumed)
        }
        Err(e) => {
            stage.errors.push(CheckError {
                check: Step::SessionResumption.to_string(),
                message: e.to_string(),
            });
            None
        }
    };
    stage.http = match https {
        Ok(answer) => {
            let plain_http = plain.unwrap_or_else(|e| {
                stage.errors.push(CheckError {
                    check: Step::HttpRedirect.to_string(),
                    message: e,
                });
                None
            });
            Some(HttpInfo {
                https_status: Some(answer.status),
                hsts: answer.hsts,
                plain_http,
            })
        }
        Err(e) => {
            stage.errors.push(CheckError {
                check: Step::Http.to_string(),
                message: e,
            });
            None
        }
    };
    stage.tls12 = match tls12 {
        Some(Ok(supported)) => Some(supported),
        Some(Err(e)) => {
            stage.errors.push(CheckError {
                check: Step::Protocol(ProtocolVersion::Tls12).to_string(),
                message: format!(
                    "a modern client could not tell whether TLS 1.2 is supported: {e}"
                ),
            });
            None
        }
        None => None,
    };
    stage.alpn = match (&chosen_alpn, other_alpn) {
        (None, _) => Some(Vec::new()),
        (Some(chosen), Some((other, Ok(Some(got))))) if got == other => {
            Some(vec![chosen.clone(), got])
        }
        (Some(chosen), Some((_, Ok(_) | Err(HandshakeFailure::Tls(_))))) => {
            Some(vec![chosen.clone()])
        }
        (Some(chosen), Some((other, Err(e)))) => {
            stage.errors.push(CheckError {
                check: Step::Alpn.to_string(),
                message: format!("probing {other}: {e}"),
            });
            Some(vec![chosen.clone()])
        }
        (Some(_), None) => None,
    };
    stage.connection = Some(connection);
    Ok(stage)
}

/// `GET /` on the site's port 80 (or where `--connect-to` sends it), if the egress rules
/// allow it.
async fn plain_http(
    egress: &Egress,
    host: &Host,
    endpoint: &Endpoint,
    timeout: Duration,
) -> Result<Option<shared::PlainHttp>, String> {
    let address = egress
        .plain_http(host, endpoint)
        .map_err(|e| e.to_string())?;
    http::get_plain(address, &host_header(host), timeout).await
}
