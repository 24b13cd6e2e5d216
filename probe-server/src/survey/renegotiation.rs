//! Renegotiation, exercised: a renegotiating ClientHello inside a completed TLS 1.2
//! connection. With RFC 5746 (the server answered renegotiation_info) it carries the client's
//! verify_data and the server's answer must carry both; without, it is the legacy
//! renegotiation CVE-2009-3555 splices into. Either way the server completes it or refuses:
//! client-initiated renegotiation accepted is a denial-of-service surface (each costs the
//! server a full handshake), and testssl.sh and SSL Labs both report it.

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use super::outcome::RenegotiationSeen;
use super::probe::{Observed, Probe, Recording, SurveyContext};
use super::prober::Prober;
use super::tls12;
use crate::wire::tls12::{ClientConfig, Handshake, Renegotiation as Answer};

/// One connection: a full handshake, then a renegotiation in it. The first handshake (and
/// its ticket) goes to `publish` before the renegotiation, for the probes that resume it.
pub(crate) async fn renegotiation(
    prober: &Prober,
    publish: impl FnOnce(Result<Handshake, String>),
) -> Result<RenegotiationSeen, String> {
    let _slot = prober.slot().await;
    let config = tls12::config(prober);
    let (mut connection, first) = match tls12::connect(prober, &config).await {
        Ok(connected) => connected,
        Err(e) => {
            publish(Err(e.clone()));
            return Err(e);
        }
    };
    publish(Ok(first.clone()));
    let extension = first.server_hello.renegotiation_info.is_some();
    let again = ClientConfig {
        renegotiation_info: extension,
        session_ticket: false,
        ..config
    };
    let answer = connection.renegotiate(&again).await;
    connection.close().await;
    match answer {
        Ok(Answer::Completed(_)) if extension => Ok(RenegotiationSeen {
            extension,
            accepted: true,
            detail: "The server completed a client-initiated renegotiation (secure: RFC 5746's \
                     renegotiation_info carried both verify_data)."
                .into(),
        }),
        Ok(Answer::Completed(_)) => Ok(RenegotiationSeen {
            extension,
            accepted: true,
            detail: "The server completed a client-initiated renegotiation without RFC 5746's \
                     renegotiation_info: insecure renegotiation (CVE-2009-3555), exercised."
                .into(),
        }),
        Ok(Answer::Refused(how)) => Ok(RenegotiationSeen {
            extension,
            accepted: false,
            detail: format!("The server refused a client-initiated renegotiation: {how}."),
        }),
        Err(e) => Err(format!("the renegotiation failed: {e}")),
    }
}

/// The renegotiation test, when TLS 1.2 is supported.
pub(crate) struct Renegotiation;

impl Probe for Renegotiation {
    fn name(&self) -> Step {
        Step::Renegotiation
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let slot = &context.published.tls12_ticketed;
            let seen = match context.firsts.wait(ProtocolVersion::Tls12).await {
                Some(true) => Some(renegotiation(context.prober, |h| slot.publish(h)).await),
                _ => None,
            };
            Box::new(move |observed: &mut Observed| observed.renegotiation = seen) as Recording
        })
    }
}
