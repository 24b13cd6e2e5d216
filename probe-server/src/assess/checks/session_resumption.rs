//! `no-session-resumption` and `long-ticket-lifetime`: what resuming completed TLS 1.2
//! sessions showed, and whether a TLS 1.3 ticket resumed (the verified stage's second
//! connection; its 0-RTT has its own check, `early-data`).
//!
//! A server that resumes neither by session id nor by ticket (TLS 1.2), or whose TLS 1.3
//! tickets do not resume, makes every connection pay a full handshake (latency, CPU):
//! informational, as SSL Labs and testssl.sh report it. A
//! ticket lifetime hint over a day keeps the ticket key — and with it every session's
//! secrets — useful to a thief for that long (testssl.sh flags "> daily").

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "session-resumption",
    run,
};

/// testssl.sh's threshold.
const A_DAY: u32 = 24 * 3600;

fn run(obs: &Observations) -> Vec<Finding> {
    let mut found = Vec::new();
    if let Some(finding) = tls13_not_resumed(obs) {
        found.push(finding);
    }
    let Some(seen) = &obs.attacks.tls12_resumption else {
        return found;
    };
    if seen.session_id != Some(true) && seen.ticket != Some(true) {
        let how = |what: &str, v: Option<bool>| match v {
            None => format!("it gave no {what}"),
            Some(false) => format!("offered its {what}, it made a full handshake"),
            Some(true) => String::new(),
        };
        found.push(finding(
            FindingId::NoSessionResumption,
            Severity::Info,
            "No TLS 1.2 session resumption",
            format!(
                "TLS 1.2 sessions do not resume: {}; {}. Every connection pays a full handshake.",
                how("session id", seen.session_id),
                how("session ticket", seen.ticket)
            ),
            "Enable a session cache (ssl_session_cache in nginx, SSLSessionCache in Apache) or session tickets \
             with rotated keys.",
        ));
    }
    if let Some(hint) = seen.ticket_lifetime_hint.filter(|h| *h > A_DAY) {
        found.push(finding(
            FindingId::LongTicketLifetime,
            Severity::Low,
            "Session tickets live longer than a day",
            format!(
                "The server's session tickets carry a lifetime hint of {hint} s ({:.1} days): whoever obtains the \
                 ticket key can decrypt every session it protected for that long.",
                f64::from(hint) / f64::from(A_DAY)
            ),
            "Keep ticket lifetimes to a day or less and rotate the ticket keys (ssl_session_timeout in nginx, \
             SSLSessionTicketKeyFile rotation in Apache).",
        ));
    }
    found
}

/// TLS 1.3 was negotiated and a second connection offering the first one's ticket (if it
/// got one) made a full handshake.
fn tls13_not_resumed(obs: &Observations) -> Option<Finding> {
    if obs.features.tls13_resumption != Some(false) {
        return None;
    }
    let why = match obs.features.tls13_tickets {
        Some(0) => "the first connection received no session ticket".to_owned(),
        Some(n) => format!(
            "the first connection received {n} session ticket{}, and offering one the next made a full \
             handshake",
            if n == 1 { "" } else { "s" }
        ),
        None => "the next connection made a full handshake".to_owned(),
    };
    Some(finding(
        FindingId::NoSessionResumption,
        Severity::Info,
        "No TLS 1.3 session resumption",
        format!("TLS 1.3 sessions do not resume: {why}. Every connection pays a full handshake."),
        "Let the server issue TLS 1.3 session tickets (ssl_session_tickets on, or a session cache, in nginx; \
         OpenSSL's default) and accept them.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;
    use crate::assess::observations::ResumptionSeen;

    #[test]
    fn resumption_either_way_is_enough_and_long_tickets_are_flagged() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.attacks.tls12_resumption = Some(ResumptionSeen {
            extended_master_secret: true,
            session_id: Some(true),
            ticket: None,
            ticket_lifetime_hint: None,
        });
        assert!(run(&obs).is_empty());
        obs.attacks.tls12_resumption = Some(ResumptionSeen {
            extended_master_secret: true,
            session_id: Some(false),
            ticket: Some(true),
            ticket_lifetime_hint: Some(7200),
        });
        assert!(run(&obs).is_empty());
        obs.attacks.tls12_resumption = Some(ResumptionSeen {
            extended_master_secret: true,
            session_id: Some(false),
            ticket: None,
            ticket_lifetime_hint: None,
        });
        let f = run(&obs);
        assert_eq!(f[0].id, FindingId::NoSessionResumption);
        assert!(
            f[0].detail.contains("made a full handshake"),
            "{}",
            f[0].detail
        );
        obs.attacks.tls12_resumption = Some(ResumptionSeen {
            extended_master_secret: true,
            session_id: Some(true),
            ticket: Some(true),
            ticket_lifetime_hint: Some(100_800),
        });
        assert_eq!(run(&obs)[0].id, FindingId::LongTicketLifetime);
    }

    #[test]
    fn tls13_tickets_that_do_not_resume_are_said() {
        let mut obs = healthy();
        obs.features.tls13_resumption = Some(true);
        obs.features.tls13_tickets = Some(2);
        assert!(run(&obs).is_empty());
        obs.features.tls13_resumption = Some(false);
        let f = run(&obs);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, FindingId::NoSessionResumption);
        assert_eq!(f[0].title, "No TLS 1.3 session resumption");
        assert!(
            f[0].detail.contains("received 2 session tickets"),
            "{}",
            f[0].detail
        );
        obs.features.tls13_tickets = Some(0);
        assert!(run(&obs)[0].detail.contains("no session ticket"));
    }
}
