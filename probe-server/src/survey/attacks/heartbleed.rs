//! Heartbleed (CVE-2014-0160).

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use super::{FOLLOW_UP, flush_record};
use crate::survey::outcome::ProbeOutcome;
use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::refusal::{ask_plainer, exchange_refusal};
use crate::survey::suites::{self, hello};
use crate::wire::extensions::ext;
use crate::wire::record::{ContentType, Record};
use crate::wire::{FlightEnd, exchange::Deadline, exchange::next_record};

/// Heartbleed (CVE-2014-0160): a heartbeat request that claims 16 KiB of payload and carries
/// none. A vulnerable server echoes 16 KiB of its memory; a patched one discards it.
/// Returns the outcome and whether the server enabled the heartbeat extension.
pub async fn heartbleed(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
) -> (ProbeOutcome, Option<bool>) {
    let _slot = prober.slot().await;
    let asked = ask_plainer(
        prober.forms(),
        |form| {
            let bytes = prober
                .named(form.shape(hello(version, suites).with_heartbeat(), &[ext::HEARTBEAT]))
                .to_bytes();
            async move { prober.exchange(&bytes).await }
        },
        exchange_refusal,
    )
    .await;
    let mut ex = match asked.answer {
        Ok(ex) => ex,
        Err(e) => {
            return (
                ProbeOutcome::Inconclusive(format!("no handshake to test with: {e}")),
                None,
            );
        }
    };
    let Some(sh) = ex.flight.server_hello.as_ref() else {
        return (
            ProbeOutcome::Inconclusive(format!("no handshake to test with ({:?})", ex.flight.end)),
            None,
        );
    };
    if sh.heartbeat.is_none() {
        return (
            ProbeOutcome::NotVulnerable(
                "The server does not enable the heartbeat extension.".into(),
            ),
            Some(false),
        );
    }
    if ex.flight.end != FlightEnd::ServerHelloDone {
        return (
            ProbeOutcome::Inconclusive(format!(
                "the handshake stopped early ({:?})",
                ex.flight.end
            )),
            Some(true),
        );
    }
    let record_version = sh.version().min(0x0303);
    // type 1 (request), payload_length 0x4000, no payload, no padding.
    let request = Record {
        content_type: ContentType::Heartbeat,
        version: record_version,
        payload: vec![0x01, 0x40, 0x00],
    };
    let mut out = request.encode();
    out.extend(flush_record(record_version));
    if let Err(e) = tokio::io::AsyncWriteExt::write_all(&mut ex.stream, &out).await {
        return (
            ProbeOutcome::Inconclusive(format!("could not send the heartbeat: {e}")),
            Some(true),
        );
    }
    let deadline = Deadline::new(FOLLOW_UP, FOLLOW_UP);
    // Bounded: at most a few records before the alert that ends it.
    for _ in 0..16 {
        match next_record(&mut ex.stream, &mut ex.records, deadline).await {
            Ok(Some(record)) if record.content_type == ContentType::Heartbeat => {
                let leaked = record.payload.len().saturating_sub(3);
                return if leaked > 0 {
                    (
                        ProbeOutcome::Vulnerable(format!(
                            "The server answered a heartbeat carrying no payload with {leaked} bytes of its memory."
                        )),
                        Some(true),
                    )
                } else {
                    (
                        ProbeOutcome::NotVulnerable(
                            "The server answered the heartbeat without leaking.".into(),
                        ),
                        Some(true),
                    )
                };
            }
            Ok(Some(record)) if record.content_type == ContentType::Alert => {
                return (
                    ProbeOutcome::NotVulnerable(
                        "The server discarded the malformed heartbeat (it answered only the close_notify that followed)."
                            .into(),
                    ),
                    Some(true),
                );
            }
            Ok(Some(_)) => continue,
            Ok(None) => {
                return (
                    ProbeOutcome::NotVulnerable(
                        "The server closed the connection instead of answering the heartbeat."
                            .into(),
                    ),
                    Some(true),
                );
            }
            Err(e) => {
                return (
                    ProbeOutcome::Inconclusive(format!("no answer after the heartbeat: {e}")),
                    Some(true),
                );
            }
        }
    }
    (
        ProbeOutcome::Inconclusive("the server kept sending records".into()),
        Some(true),
    )
}

/// The Heartbleed test, on the best TLS ≤ 1.2 version the server accepts.
pub(crate) struct Heartbleed;

impl Probe for Heartbleed {
    fn name(&self) -> Step {
        Step::Heartbleed
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let outcome = match context.firsts.best_legacy().await {
                Some(v) => Some(heartbleed(context.prober, v, &suites::likely_first(v)).await),
                None => None,
            };
            Box::new(move |observed: &mut Observed| observed.heartbleed = outcome) as Recording
        })
    }
}
