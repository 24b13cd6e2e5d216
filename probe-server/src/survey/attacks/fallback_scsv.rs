//! Downgrade protection: TLS_FALLBACK_SCSV below TLS 1.3, the RFC 8446 sentinel from it.

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use crate::survey::outcome::ProbeOutcome;
use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::refusal::send_plainer;
use crate::survey::suites::{self, hello};
use crate::wire::Verdict;
use crate::wire::server::alert;

/// TLS_FALLBACK_SCSV (RFC 7507): a hello for `lower` marked as a fallback, to a server that
/// supports `highest`. It must refuse with inappropriate_fallback.
pub async fn fallback_scsv(
    prober: &Prober,
    lower: ProtocolVersion,
    highest: ProtocolVersion,
    suites: &[u16],
) -> ProbeOutcome {
    // The SCSV is a suite every form keeps; inappropriate_fallback is not a refusal a
    // plainer hello would change.
    let flight = send_plainer(prober, &[], |_| hello(lower, suites).with_fallback_scsv())
        .await
        .answer;
    match flight.verdict() {
        Verdict::Refused(_) if flight.refused_with(alert::INAPPROPRIATE_FALLBACK) => {
            ProbeOutcome::NotVulnerable(format!(
                "The server refused a {} hello marked as a fallback (inappropriate_fallback), as it supports {}.",
                lower.display_name(),
                highest.display_name()
            ))
        }
        Verdict::Accepted { .. } => ProbeOutcome::Vulnerable(format!(
            "The server accepted a {} hello marked as a fallback although it supports {}.",
            lower.display_name(),
            highest.display_name()
        )),
        Verdict::Refused(refusal) => {
            ProbeOutcome::Inconclusive(format!("the server refused with {refusal:?}"))
        }
        other => ProbeOutcome::Inconclusive(format!("no usable answer: {other:?}")),
    }
}

/// Downgrade protection of a TLS 1.3 server: every handshake it completed at an older
/// version must carry the RFC 8446 sentinel in its random, which a TLS 1.3 client checks.
pub fn downgrade_sentinel(legacy_flights: &[&crate::wire::ServerFlight]) -> ProbeOutcome {
    let missing: Vec<String> = legacy_flights
        .iter()
        .filter_map(|f| f.server_hello.as_ref())
        .filter(|sh| sh.downgrade.is_none())
        .filter_map(|sh| sh.protocol_version())
        .map(|v| v.display_name().to_owned())
        .collect();
    if missing.is_empty() {
        ProbeOutcome::NotVulnerable(
            "The server supports TLS 1.3 and marks every older handshake with the RFC 8446 downgrade sentinel.".into(),
        )
    } else {
        let mut versions = missing;
        versions.dedup();
        ProbeOutcome::Vulnerable(format!(
            "The server supports TLS 1.3 but its {} handshakes lack the RFC 8446 downgrade sentinel.",
            versions.join(" and ")
        ))
    }
}

/// The TLS_FALLBACK_SCSV test, for servers whose best version is below TLS 1.3.
pub(crate) struct FallbackScsv;

impl Probe for FallbackScsv {
    fn name(&self) -> Step {
        Step::FallbackScsv
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            // From TLS 1.3, downgrades are caught by the sentinel in the ServerHello random
            // (RFC 8446 4.1.3), checked when the survey is merged, on the handshakes already
            // made; below 1.3, by TLS_FALLBACK_SCSV.
            let outcome = match context.firsts.supported().await.as_slice() {
                [highest, lower, ..] if *highest != ProtocolVersion::Tls13 => {
                    // The suites the enumeration saw accepted in `lower` first: a plainer
                    // retry keeps only the first few, and a server picks its suite before it
                    // looks for the SCSV (Go answers handshake_failure, not
                    // inappropriate_fallback, when none of those few is its own).
                    let mut offer: Vec<u16> = match context.published.version(*lower) {
                        Some(slot) => slot.get().await.accepted.iter().map(|a| a.suite).collect(),
                        None => Vec::new(),
                    };
                    for suite in suites::likely_first(*lower) {
                        if !offer.contains(&suite) {
                            offer.push(suite);
                        }
                    }
                    Some(fallback_scsv(context.prober, *lower, *highest, &offer).await)
                }
                _ => None,
            };
            Box::new(move |observed: &mut Observed| observed.fallback_scsv = outcome) as Recording
        })
    }
}
