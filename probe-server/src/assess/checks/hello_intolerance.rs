//! `hello-intolerance`: the server refuses a version's hello for its form — too many suites,
//! too long, an OCSP or SCT request — though plain, small hellos of the same version work
//! (SSL Labs lists these under "Protocol details"). The survey found it by retrying; real
//! clients do not retry that way.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "hello-intolerance",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let seen: Vec<String> = obs
        .protocols
        .iter()
        .filter_map(|p| {
            let how = p.intolerance.as_ref()?;
            Some(format!("{}: {how}", p.version.display_name()))
        })
        .collect();
    if seen.is_empty() {
        return Vec::new();
    }
    vec![finding(
        FindingId::HelloIntolerance,
        Severity::Medium,
        "The server refuses large or extended hellos",
        format!(
            "{}. Current browsers send hellos of 500 to 1,800 bytes with many suites and \
             extensions, status_request and signed_certificate_timestamp among them (Chrome, \
             Firefox, Safari, Edge); a server that refuses such a hello fails them, or makes \
             them fall back, while small clients (curl, scripts) connect — an intermittent, \
             client-dependent failure.",
            seen.join("; ")
        ),
        "Update the TLS stack or the appliance in front of it: a server must accept any \
         number of suites and extensions it does not know (RFC 8446 4.1.2, RFC 5246 7.4.1.4), \
         ignore an OCSP request it cannot serve, and accept hellos of any length.",
    )]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn names_each_intolerant_version() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty(), "no intolerance seen");
        let tls12 = obs
            .protocols
            .iter_mut()
            .find(|p| p.version == ProtocolVersion::Tls12)
            .unwrap();
        tls12.intolerance = Some("a decode_error alert for all 300 suites".into());
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Medium);
        assert!(
            found[0].detail.starts_with("TLS 1.2: a decode_error"),
            "{}",
            found[0].detail
        );
    }
}
