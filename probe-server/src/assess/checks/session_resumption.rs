//! `no-session-resumption` and `long-ticket-lifetime`: what resuming completed TLS 1.2
//! sessions showed.
//!
//! A server that resumes neither by session id nor by ticket makes every connection pay a
//! full handshake (latency, CPU): informational, as SSL Labs and testssl.sh report it. A
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
    let Some(seen) = &obs.attacks.tls12_resumption else {
        return Vec::new();
    };
    let mut found = Vec::new();
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
}
