//! TLS 1.2 session resumption, really resumed: a full handshake, then a second connection
//! offering its session — once by session id (a full handshake without tickets, since a
//! server issuing a ticket may give no session id), once by ticket (RFC 5077; the ticket of
//! the renegotiation probe's handshake, which is published for this). Resumed
//! means an abbreviated handshake completed with the server's Finished checked. The full
//! handshakes also say whether the Extended Master Secret (RFC 7627) is negotiated.

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use super::outcome::ResumptionSeen;
use super::probe::{Observed, Probe, Recording, SurveyContext};
use super::prober::Prober;
use super::tls12;
use crate::wire::tls12::{ClientConfig, Handshake, Resume};

/// Up to three connections of its own, two at a time: the ticket comes from `ticketed`, the
/// renegotiation probe's full handshake.
pub(crate) async fn resumption(
    prober: &Prober,
    ticketed: impl std::future::Future<Output = Result<Handshake, String>>,
) -> Result<ResumptionSeen, String> {
    let base = tls12::config(prober);
    let by_id = async {
        let config = ClientConfig {
            session_ticket: false,
            ..base.clone()
        };
        let first = tls12::handshake(prober, &config).await?;
        if first.session.session_id.is_empty() {
            return Ok::<_, String>((first.extended_master_secret, None));
        }
        let again = ClientConfig {
            resume: Some((first.session.clone(), Resume::BySessionId)),
            ..config
        };
        let resumed = tls12::handshake(prober, &again).await?.resumed;
        Ok((first.extended_master_secret, Some(resumed)))
    };
    let by_ticket = async {
        let first = ticketed.await?;
        let Some(ticket) = &first.ticket else {
            return Ok::<_, String>((None, None));
        };
        if ticket.ticket.is_empty() {
            // RFC 5077 3.3: an empty ticket means "no ticket after all".
            return Ok((None, None));
        }
        let again = ClientConfig {
            resume: Some((first.session.clone(), Resume::ByTicket)),
            ..base.clone()
        };
        let resumed = tls12::handshake(prober, &again).await?.resumed;
        Ok((Some(resumed), Some(ticket.lifetime_hint)))
    };
    let (by_id, by_ticket) = tokio::join!(by_id, by_ticket);
    let (extended_master_secret, session_id) = by_id?;
    let (ticket, ticket_lifetime_hint) = by_ticket?;
    Ok(ResumptionSeen {
        extended_master_secret,
        session_id,
        ticket,
        ticket_lifetime_hint,
    })
}

/// The TLS 1.2 resumption test, when TLS 1.2 is supported.
pub(crate) struct Tls12Resumption;

impl Probe for Tls12Resumption {
    fn name(&self) -> Step {
        Step::Tls12Resumption
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let seen = match context.firsts.wait(ProtocolVersion::Tls12).await {
                Some(true) => {
                    let ticketed =
                        async { (*context.published.tls12_ticketed.get().await).clone() };
                    Some(resumption(context.prober, ticketed).await)
                }
                _ => None,
            };
            Box::new(move |observed: &mut Observed| observed.tls12_resumption = seen) as Recording
        })
    }
}
