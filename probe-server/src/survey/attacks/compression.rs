//! TLS compression (CRIME).

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::refusal::send_plainer;
use crate::survey::suites::{self, hello};
use crate::wire::Verdict;

/// TLS compression (CRIME): offer DEFLATE and see whether the server picks it.
pub async fn compression(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
) -> Result<bool, String> {
    // The question is in the compression methods, which every form keeps.
    let flight = send_plainer(prober, &[], |_| {
        hello(version, suites).with_compression(&[1, 0])
    })
    .await
    .answer;
    match (&flight.server_hello, flight.verdict()) {
        (Some(sh), Verdict::Accepted { .. }) => Ok(sh.compression_method != 0),
        (_, other) => Err(format!("no handshake offering compression: {other:?}")),
    }
}

/// The compression test, on the best TLS ≤ 1.2 version the server accepts.
pub(crate) struct Compression;

impl Probe for Compression {
    fn name(&self) -> Step {
        Step::Compression
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let outcome = match context.firsts.best_legacy().await {
                Some(v) => Some(compression(context.prober, v, &suites::likely_first(v)).await),
                None => None,
            };
            Box::new(move |observed: &mut Observed| observed.compression = outcome) as Recording
        })
    }
}
