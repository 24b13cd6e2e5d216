//! `no-tls13` and `no-tls12`: missing modern protocol versions. (The legacy versions a server
//! should not accept are judged from the raw handshakes.)

use shared::{Finding, FindingId, Grade, ProtocolVersion, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "protocol-versions",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let mut found = Vec::new();
    if obs.supports(ProtocolVersion::Tls13) == Some(false) {
        found.push(capped(
            finding(
                FindingId::NoTls13,
                Severity::Low,
                "TLS 1.3 is not supported",
                "The server does not speak TLS 1.3, which is faster (one round trip fewer), always forward secret, \
                 and drops every legacy construction.",
                "Enable TLS 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3; needs OpenSSL 1.1.1 or newer).",
            ),
            Grade::AMinus,
        ));
    }
    if obs.supports(ProtocolVersion::Tls12) == Some(false)
        && obs.supports(ProtocolVersion::Tls13) != Some(true)
    {
        found.push(capped(
            finding(
                FindingId::NoTls12,
                Severity::High,
                "TLS 1.2 is not supported",
                "The server supports neither TLS 1.2 nor TLS 1.3, the only versions modern browsers still accept.",
                "Enable TLS 1.2 and TLS 1.3.",
            ),
            Grade::C,
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::{healthy, ids};

    fn with(tls12: Option<bool>, tls13: Option<bool>) -> Vec<Finding> {
        let mut obs = healthy();
        for p in &mut obs.protocols {
            match p.version {
                ProtocolVersion::Tls12 => p.supported = tls12,
                ProtocolVersion::Tls13 => p.supported = tls13,
                _ => {}
            }
        }
        run(&obs)
    }

    #[test]
    fn flags_missing_modern_versions_only_when_tested() {
        assert!(with(Some(true), Some(true)).is_empty());
        assert!(with(None, None).is_empty());
        assert_eq!(ids(&with(Some(true), Some(false))), ["no-tls13"]);
        assert_eq!(
            ids(&with(Some(false), Some(true))),
            Vec::<&str>::new(),
            "TLS 1.3-only is fine"
        );
        assert_eq!(
            ids(&with(Some(false), Some(false))),
            ["no-tls13", "no-tls12"]
        );
    }
}
