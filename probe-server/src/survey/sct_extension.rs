//! The TLS signed_certificate_timestamp extension (RFC 6962 3.3.1): one TLS ≤ 1.2 hello
//! offering it, and the SCT list the ServerHello carries back, unjudged (`pki::ct` verifies
//! it against the leaf). TLS 1.3 moves the extension into the encrypted Certificate message,
//! which a raw hello does not reach; a TLS 1.3-only server is reported as not asked.

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::survey::refusal::send_plainer;
use crate::survey::suites::{self, hello};
use crate::wire::Verdict;
use crate::wire::extensions::{ClientExtension, ext};

/// Offers the extension with `version` and returns its data when the server sent it.
pub async fn sct_extension(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
) -> Result<Option<Vec<u8>>, String> {
    // A server that refuses the full hello for its form (wolfSSL's decode_error beyond 150
    // suites) is asked again with plainer hellos that keep the question's extension.
    let flight = send_plainer(prober, &[ext::SCT], |_| {
        hello(version, suites).with_extension(ClientExtension::SignedCertificateTimestamp)
    })
    .await
    .answer;
    match (&flight.server_hello, flight.verdict()) {
        (Some(sh), Verdict::Accepted { .. }) => Ok(sh
            .extensions
            .iter()
            .find(|x| x.typ == ext::SCT)
            .map(|x| x.data.clone())),
        (_, other) => Err(format!(
            "no handshake offering signed_certificate_timestamp: {other:?}"
        )),
    }
}

/// The probe, on the best TLS ≤ 1.2 version the server accepts.
pub(crate) struct SctExtension;

impl Probe for SctExtension {
    fn name(&self) -> Step {
        Step::CertificateTransparency
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let outcome = match context.firsts.best_legacy().await {
                Some(v) => Some(sct_extension(context.prober, v, &suites::likely_first(v)).await),
                None => None,
            };
            Box::new(move |observed: &mut Observed| observed.sct_extension = outcome) as Recording
        })
    }
}
