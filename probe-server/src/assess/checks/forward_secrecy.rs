//! `no-forward-secrecy`: no forward secret suite, or (when the server chooses) a preferred
//! suite without forward secrecy, so that browsers end up without it.

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "forward-secrecy",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    if !obs.suites_enumerated() || obs.accepted_suites().next().is_none() {
        return Vec::new();
    }
    let any_fs = obs.accepted_suites().any(|(_, s)| s.forward_secrecy);
    // What a modern browser negotiates: the best protocol's top suite when the server
    // chooses; when the client chooses, any forward secret suite will do.
    let best = obs
        .protocols
        .iter()
        .rev()
        .find(|p| p.supported == Some(true) && !p.cipher_suites.is_empty());
    let preferred_without_fs = best
        .filter(|p| p.server_preference == Some(true))
        .and_then(|p| p.cipher_suites.first())
        .filter(|s| !s.forward_secrecy);
    let detail = match (any_fs, preferred_without_fs) {
        (false, _) => "No accepted suite has forward secrecy: whoever obtains the server's private key later can \
                       decrypt every recorded session."
            .to_owned(),
        (true, Some(suite)) => format!(
            "The server prefers {}, which has no forward secrecy, so even modern browsers negotiate it: \
             whoever obtains the server's private key later can decrypt their recorded sessions.",
            suite.name
        ),
        (true, None) => return Vec::new(),
    };
    vec![capped(
        finding(
            FindingId::NoForwardSecrecy,
            Severity::High,
            "No forward secrecy",
            detail,
            "Offer ECDHE suites first (TLS 1.3 always has forward secrecy).",
        ),
        Grade::B,
    )]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn judges_what_browsers_get() {
        assert!(run(&with_suites(ProtocolVersion::Tls12, &[0xc02f, 0x009c])).is_empty());
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0x009c]))[0].grade_cap,
            Some(Grade::B)
        );
        let mut obs = with_suites(ProtocolVersion::Tls12, &[0x009c, 0xc02f]);
        obs.protocols
            .iter_mut()
            .for_each(|p| p.server_preference = Some(true));
        assert!(
            run(&obs)[0]
                .detail
                .contains("prefers TLS_RSA_WITH_AES_128_GCM_SHA256")
        );
    }
}
