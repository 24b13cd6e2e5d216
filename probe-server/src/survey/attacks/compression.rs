//! TLS compression (CRIME).

use futures_util::future::BoxFuture;
use shared::Step;

use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::suites::{self, hello};
use crate::wire::Verdict;
use crate::wire::client_hello::ClientHello;

/// TLS compression (CRIME): offer DEFLATE in `hello` and see whether the server picks it.
pub async fn compression(prober: &Prober, hello: ClientHello) -> Result<bool, String> {
    let flight = prober.send(&hello.with_compression(&[1, 0])).await;
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
                Some(v) => {
                    let outcome =
                        compression(context.prober, hello(v, &suites::candidates(v))).await;
                    match outcome {
                        Err(_) => match super::intolerant_retry(context, v).await {
                            Some(retry) => Some(compression(context.prober, retry).await),
                            None => Some(outcome),
                        },
                        Ok(_) => Some(outcome),
                    }
                }
                None => None,
            };
            Box::new(move |observed: &mut Observed| observed.compression = outcome) as Recording
        })
    }
}
