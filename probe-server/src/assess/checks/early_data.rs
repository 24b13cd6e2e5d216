//! `early-data-accepted`: the server accepts TLS 1.3 0-RTT early data.
//!
//! Early data travels under a key derived from the ticket alone, before the handshake has
//! proven the connection fresh: an attacker who records it can send it again, and the server
//! acts on it twice (RFC 8446 §8). Safe only for idempotent requests behind the server's
//! own anti-replay (single-use tickets, a ClientHello record) and an application that
//! refuses non-idempotent ones (`Early-Data: 1`, 425 Too Early, RFC 8470). The probe offers
//! early data and sends none, so the test itself gives nothing to replay. Informational in
//! SSL Labs' guide (no cap); low here, since a misused 0-RTT endpoint is a real risk.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "early-data",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    if obs.features.early_data != Some(true) {
        return Vec::new();
    }
    let size = obs
        .features
        .max_early_data_size
        .map_or_else(String::new, |bytes| format!(" (up to {bytes} bytes)"));
    vec![finding(
        FindingId::EarlyDataAccepted,
        Severity::Low,
        "TLS 1.3 0-RTT early data is accepted",
        format!(
            "A resumed TLS 1.3 connection offering early data had it accepted{size}. Requests sent as 0-RTT \
             can be replayed by anyone who records them; the server acts on each copy."
        ),
        "Disable early data (ssl_early_data off in nginx, the default; max_early_data 0 in OpenSSL) unless the \
         application accepts only idempotent requests in it (reject others with 425 Too Early, RFC 8470) and the \
         server's anti-replay (single-use tickets) is on.",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn only_accepted_early_data_is_a_finding() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.features.early_data = Some(false);
        obs.features.max_early_data_size = Some(0);
        assert!(run(&obs).is_empty());
        obs.features.early_data = Some(true);
        obs.features.max_early_data_size = Some(16_384);
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, FindingId::EarlyDataAccepted);
        assert_eq!(found[0].grade_cap, None);
        assert!(
            found[0].detail.contains("up to 16384 bytes"),
            "{}",
            found[0].detail
        );
    }
}
