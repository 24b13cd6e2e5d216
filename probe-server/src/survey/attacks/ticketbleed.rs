//! Ticketbleed (CVE-2016-9244): F5 BIG-IP echoed a resumed ticket's session id as 32 bytes
//! whatever the client's length, leaking up to 31 bytes of memory per handshake. The test:
//! a completed TLS 1.2 handshake for a ticket, then a hello offering it with a 1-byte
//! session id; a vulnerable server answers with 32 bytes starting with ours.

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use crate::survey::outcome::ProbeOutcome;
use crate::survey::probe::{Observed, Probe, Recording, SurveyContext};
use crate::survey::prober::Prober;
use crate::wire::ClientHello;
use crate::wire::client_hello::random_bytes;
use crate::wire::extensions::{ClientExtension, ext};
use crate::wire::tls12::{Handshake, suites};

/// One connection of its own, offering with a 1-byte session id the ticket of `ticketed`
/// (the renegotiation probe's full handshake).
pub(crate) async fn ticketbleed(
    prober: &Prober,
    ticketed: impl std::future::Future<Output = Result<Handshake, String>>,
) -> ProbeOutcome {
    let first = match ticketed.await {
        Ok(first) => first,
        Err(e) => {
            return ProbeOutcome::Inconclusive(format!("no session ticket to test with: {e}"));
        }
    };
    let Some(ticket) = first.ticket.filter(|t| !t.ticket.is_empty()) else {
        return ProbeOutcome::NotVulnerable("The server issues no TLS 1.2 session tickets.".into());
    };
    let ours = random_bytes()[0];
    let mut hello = ClientHello::for_version(ProtocolVersion::Tls12, &suites::ids())
        .with_extension(ClientExtension::SessionTicket(ticket.ticket));
    hello.session_id = vec![ours];
    if !first.extended_master_secret {
        hello.remove_extension(ext::EXTENDED_MASTER_SECRET);
    }
    let flight = prober.send(&hello).await;
    let Some(sh) = flight.server_hello else {
        return ProbeOutcome::Inconclusive(format!(
            "no ServerHello to the hello offering the ticket ({:?})",
            flight.end
        ));
    };
    match sh.session_id.as_slice() {
        [first_byte, rest @ ..] if *first_byte == ours && rest.len() == 31 => {
            ProbeOutcome::Vulnerable(format!(
                "Offered its ticket with a 1-byte session id, the server echoed 32 bytes: ours, \
                 then 31 bytes of its memory ({}…).",
                hex::encode(&rest[..8])
            ))
        }
        [only] if *only == ours => ProbeOutcome::NotVulnerable(
            "Offered its ticket with a 1-byte session id, the server echoed that one byte.".into(),
        ),
        other => ProbeOutcome::NotVulnerable(format!(
            "Offered its ticket with a 1-byte session id, the server answered with a {}-byte \
             session id of its own (a full handshake), not ours padded with memory.",
            other.len()
        )),
    }
}

/// The Ticketbleed test, when TLS 1.2 is supported.
pub(crate) struct Ticketbleed;

impl Probe for Ticketbleed {
    fn name(&self) -> Step {
        Step::Ticketbleed
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let outcome = match context.firsts.wait(ProtocolVersion::Tls12).await {
                Some(true) => {
                    let ticketed =
                        async { (*context.published.tls12_ticketed.get().await).clone() };
                    Some(ticketbleed(context.prober, ticketed).await)
                }
                _ => None,
            };
            Box::new(move |observed: &mut Observed| observed.ticketbleed = outcome) as Recording
        })
    }
}
