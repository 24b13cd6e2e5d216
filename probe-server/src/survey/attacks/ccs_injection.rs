//! CCS injection (CVE-2014-0224).

use futures_util::future::BoxFuture;
use shared::Step;

use super::{DECRYPTION_FAILED, FOLLOW_UP};
use crate::survey::outcome::ProbeOutcome;
use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::suites::{self, hello};
use crate::wire::client_hello::ClientHello;
use crate::wire::record::{ContentType, Record};
use crate::wire::server::{alert, alert_name};
use crate::wire::{FlightEnd, exchange::Deadline, exchange::Exchange, exchange::next_record};
use tokio::net::TcpStream;

/// CCS injection (CVE-2014-0224): a ChangeCipherSpec right after the server's flight, before
/// any key exchange, then an "encrypted" record. A patched server rejects the early CCS with
/// unexpected_message; a vulnerable one switches to keys made from an empty secret and then
/// fails to decrypt the record (bad_record_mac / decryption_failed).
///
/// `Err` carries the inconclusive outcome when no handshake got as far as the server's flight
/// (a retry with another hello may get further).
pub async fn ccs_injection(
    prober: &Prober,
    hello: ClientHello,
) -> Result<ProbeOutcome, ProbeOutcome> {
    let _slot = prober.slot().await;
    let bytes = prober.named(hello).to_bytes();
    let ex = match prober.exchange(&bytes).await {
        Ok(ex) => ex,
        Err(e) => {
            return Err(ProbeOutcome::Inconclusive(format!(
                "no handshake to test with: {e}"
            )));
        }
    };
    let Some(sh) = ex.flight.server_hello.as_ref() else {
        return Err(ProbeOutcome::Inconclusive(format!(
            "no handshake to test with ({:?})",
            ex.flight.end
        )));
    };
    let record_version = sh.version().min(0x0303);
    Ok(after_the_flight(ex, record_version).await)
}

/// The test proper, on a handshake that reached the server's flight.
async fn after_the_flight(mut ex: Exchange<TcpStream>, record_version: u16) -> ProbeOutcome {
    if ex.flight.end != FlightEnd::ServerHelloDone {
        return ProbeOutcome::Inconclusive(format!(
            "the handshake stopped early ({:?})",
            ex.flight.end
        ));
    }
    let mut out = Record {
        content_type: ContentType::ChangeCipherSpec,
        version: record_version,
        payload: vec![1],
    }
    .encode();
    out.extend(
        Record {
            content_type: ContentType::Handshake,
            version: record_version,
            payload: vec![0xa5; 48],
        }
        .encode(),
    );
    if let Err(e) = tokio::io::AsyncWriteExt::write_all(&mut ex.stream, &out).await {
        return ProbeOutcome::Inconclusive(format!("could not send the ChangeCipherSpec: {e}"));
    }
    let deadline = Deadline::new(FOLLOW_UP, FOLLOW_UP);
    for _ in 0..16 {
        match next_record(&mut ex.stream, &mut ex.records, deadline).await {
            Ok(Some(record)) if record.content_type == ContentType::Alert => {
                let description = record.payload.get(1).copied().unwrap_or_default();
                let name = alert_name(description);
                return match description {
                    alert::UNEXPECTED_MESSAGE => ProbeOutcome::NotVulnerable(
                        "The server rejected a ChangeCipherSpec sent before the key exchange (unexpected_message).".into(),
                    ),
                    alert::BAD_RECORD_MAC | DECRYPTION_FAILED => ProbeOutcome::Vulnerable(format!(
                        "The server accepted a ChangeCipherSpec before the key exchange and switched keys ({name} on \
                         the next record)."
                    )),
                    _ => ProbeOutcome::NotVulnerable(format!("The server refused the early ChangeCipherSpec ({name}).")),
                };
            }
            Ok(Some(_)) => continue,
            Ok(None) => {
                return ProbeOutcome::NotVulnerable(
                    "The server closed the connection on the early ChangeCipherSpec.".into(),
                );
            }
            Err(e) => {
                return ProbeOutcome::Inconclusive(format!(
                    "no answer after the ChangeCipherSpec: {e}"
                ));
            }
        }
    }
    ProbeOutcome::Inconclusive("the server kept sending records".into())
}

/// The CCS injection test, on the best TLS ≤ 1.2 version the server accepts.
pub(crate) struct CcsInjection;

impl Probe for CcsInjection {
    fn name(&self) -> Step {
        Step::CcsInjection
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let outcome = match context.firsts.best_legacy().await {
                Some(v) => Some(
                    match ccs_injection(context.prober, hello(v, &suites::candidates(v))).await {
                        Ok(outcome) => outcome,
                        Err(no_handshake) => match super::intolerant_retry(context, v).await {
                            Some(retry) => ccs_injection(context.prober, retry)
                                .await
                                .unwrap_or_else(|outcome| outcome),
                            None => no_handshake,
                        },
                    },
                ),
                None => None,
            };
            Box::new(move |observed: &mut Observed| observed.ccs_injection = outcome) as Recording
        })
    }
}
