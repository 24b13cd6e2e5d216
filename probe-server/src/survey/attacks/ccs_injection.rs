//! CCS injection (CVE-2014-0224).

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use super::{DECRYPTION_FAILED, FOLLOW_UP};
use crate::survey::outcome::ProbeOutcome;
use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::refusal::{ask_plainer, exchange_refusal};
use crate::survey::suites::{self, hello};
use crate::wire::record::{ContentType, Record};
use crate::wire::server::{alert, alert_name};
use crate::wire::{FlightEnd, exchange::Deadline, exchange::next_record};

/// CCS injection (CVE-2014-0224): a ChangeCipherSpec right after the server's flight, before
/// any key exchange, then an "encrypted" record. A patched server rejects the early CCS with
/// unexpected_message; a vulnerable one switches to keys made from an empty secret and then
/// fails to decrypt the record (bad_record_mac / decryption_failed).
pub async fn ccs_injection(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
) -> ProbeOutcome {
    let _slot = prober.slot().await;
    let asked = ask_plainer(
        prober.forms(),
        |form| {
            let bytes = prober
                .named(form.shape(hello(version, suites), &[]))
                .to_bytes();
            async move { prober.exchange(&bytes).await }
        },
        exchange_refusal,
    )
    .await;
    let mut ex = match asked.answer {
        Ok(ex) => ex,
        Err(e) => return ProbeOutcome::Inconclusive(format!("no handshake to test with: {e}")),
    };
    let Some(sh) = ex.flight.server_hello.as_ref() else {
        return ProbeOutcome::Inconclusive(format!(
            "no handshake to test with ({:?})",
            ex.flight.end
        ));
    };
    if ex.flight.end != FlightEnd::ServerHelloDone {
        return ProbeOutcome::Inconclusive(format!(
            "the handshake stopped early ({:?})",
            ex.flight.end
        ));
    }
    let record_version = sh.version().min(0x0303);
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
                Some(v) => Some(ccs_injection(context.prober, v, &suites::likely_first(v)).await),
                None => None,
            };
            Box::new(move |observed: &mut Observed| observed.ccs_injection = outcome) as Recording
        })
    }
}
