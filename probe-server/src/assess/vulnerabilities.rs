//! The report's list of known attacks: for each, whether the server is exposed, from the
//! active tests and the findings. Attacks this probe does not test yet say so.

use shared::{Finding, FindingId, ProtocolVersion, Vulnerability, VulnerabilityStatus as Status};

use crate::assess::observations::{Observations, ProbeOutcome};

/// The attacks, in a fixed order.
pub(crate) fn assess(obs: &Observations, findings: &[Finding]) -> Vec<Vulnerability> {
    let found = |id: FindingId| {
        findings
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.detail.clone())
    };
    let enumerated = obs.suites_enumerated();
    let only_tls13 = enumerated
        && obs
            .supported_versions()
            .all(|v| v == ProtocolVersion::Tls13);
    let derived = |id: FindingId, clean: &str| match found(id) {
        Some(detail) => (Status::Vulnerable, detail),
        None if enumerated => (Status::NotVulnerable, clean.to_owned()),
        None => (Status::NotTested, "Tested by a full scan only.".to_owned()),
    };
    let active = |outcome: &Option<ProbeOutcome>| match outcome {
        Some(ProbeOutcome::Vulnerable(d)) => (Status::Vulnerable, d.clone()),
        Some(ProbeOutcome::NotVulnerable(d)) => (Status::NotVulnerable, d.clone()),
        Some(ProbeOutcome::Inconclusive(d)) => (Status::Inconclusive, d.clone()),
        None if only_tls13 => (
            Status::NotVulnerable,
            "The server speaks only TLS 1.3, which this attack does not apply to.".into(),
        ),
        None if enumerated => (
            Status::NotTested,
            "No TLS 1.2-or-older handshake to test with.".into(),
        ),
        None => (Status::NotTested, "Tested by a full scan only.".into()),
    };
    let entry =
        |id: &str, name: &str, cve: &[&str], (status, detail): (Status, String)| Vulnerability {
            id: id.to_owned(),
            name: name.to_owned(),
            status,
            cve: cve.iter().map(|c| (*c).to_owned()).collect(),
            detail,
        };
    // Rests on the renegotiation the survey asked for when it could complete a TLS 1.2
    // handshake; on the ServerHello's renegotiation_info otherwise.
    let exercised = obs.attacks.renegotiation.as_ref();
    let renegotiation = match (obs.features.secure_renegotiation, exercised) {
        (_, Some(seen)) if !seen.extension && seen.accepted => {
            (Status::Vulnerable, seen.detail.clone())
        }
        (_, Some(seen)) if !seen.extension => (
            Status::Inconclusive,
            format!(
                "The server lacks RFC 5746 secure renegotiation. {} Whether it renegotiates on its own \
                 initiative cannot be tested by a client.",
                seen.detail
            ),
        ),
        (_, Some(seen)) => (
            Status::NotVulnerable,
            format!("The server supports RFC 5746 secure renegotiation. {}", seen.detail),
        ),
        (Some(true), None) => (Status::NotVulnerable, "The server supports RFC 5746 secure renegotiation.".into()),
        (Some(false), None) => (
            Status::Inconclusive,
            "The server lacks RFC 5746 secure renegotiation; no TLS 1.2 handshake could be completed to try \
             a renegotiation."
                .into(),
        ),
        (None, None) if only_tls13 => (Status::NotVulnerable, "TLS 1.3 has no renegotiation.".into()),
        (None, None) => (Status::NotTested, "Tested by a full scan only.".into()),
    };
    let client_renegotiation = match exercised {
        Some(seen) if seen.accepted => (Status::Vulnerable, seen.detail.clone()),
        Some(seen) => (Status::NotVulnerable, seen.detail.clone()),
        None if only_tls13 => (
            Status::NotVulnerable,
            "TLS 1.3 has no renegotiation.".into(),
        ),
        None if enumerated && obs.supports(ProtocolVersion::Tls12) != Some(true) => (
            Status::NotTested,
            "Tested on TLS 1.2 only, which the server does not speak.".into(),
        ),
        None if enumerated => (
            Status::NotTested,
            "No TLS 1.2 handshake could be completed (see errors).".into(),
        ),
        None => (Status::NotTested, "Tested by a full scan only.".into()),
    };
    let ticketbleed = match &obs.attacks.ticketbleed {
        None if enumerated && !only_tls13 && obs.supports(ProtocolVersion::Tls12) != Some(true) => {
            (
                Status::NotTested,
                "Tested on TLS 1.2 only, which the server does not speak.".into(),
            )
        }
        other => active(other),
    };
    let compression = match obs.features.compression {
        Some(true) => (
            Status::Vulnerable,
            "The server compresses TLS records.".into(),
        ),
        Some(false) => (
            Status::NotVulnerable,
            "The server refuses TLS compression.".into(),
        ),
        None if only_tls13 => (Status::NotVulnerable, "TLS 1.3 has no compression.".into()),
        None => (Status::NotTested, "Tested by a full scan only.".into()),
    };
    let fallback = match &obs.attacks.fallback_scsv {
        None if enumerated && obs.supported_versions().count() < 2 => (
            Status::NotVulnerable,
            "The server speaks one protocol version: there is nothing to fall back to.".into(),
        ),
        other => active(other),
    };
    vec![
        entry(
            "heartbleed",
            "Heartbleed",
            &["CVE-2014-0160"],
            active(&obs.attacks.heartbleed),
        ),
        entry(
            "ccs-injection",
            "OpenSSL CCS injection",
            &["CVE-2014-0224"],
            active(&obs.attacks.ccs_injection),
        ),
        entry(
            "drown",
            "DROWN",
            &["CVE-2016-0800"],
            derived(FindingId::Drown, "The server does not speak SSL 2.0."),
        ),
        entry(
            "poodle-sslv3",
            "POODLE (SSL 3.0)",
            &["CVE-2014-3566"],
            derived(FindingId::PoodleSslv3, "No SSL 3.0 CBC suite is accepted."),
        ),
        entry(
            "freak",
            "FREAK",
            &["CVE-2015-0204"],
            derived(FindingId::Freak, "No export RSA suite is accepted."),
        ),
        entry(
            "logjam",
            "Logjam",
            &["CVE-2015-4000"],
            derived(
                FindingId::Logjam,
                "No export DHE suite and no DH group of 1024 bits or less.",
            ),
        ),
        entry(
            "sweet32",
            "Sweet32",
            &["CVE-2016-2183"],
            derived(FindingId::Sweet32, "No 64-bit block cipher is accepted."),
        ),
        entry(
            "beast",
            "BEAST",
            &["CVE-2011-3389"],
            derived(FindingId::Beast, "No CBC suite with TLS 1.0 or SSL 3.0."),
        ),
        entry(
            "crime",
            "CRIME (TLS compression)",
            &["CVE-2012-4929"],
            compression,
        ),
        entry(
            "insecure-renegotiation",
            "Insecure renegotiation",
            &["CVE-2009-3555"],
            renegotiation,
        ),
        entry(
            "downgrade",
            "Protocol downgrade (no TLS_FALLBACK_SCSV)",
            &[],
            fallback,
        ),
        entry(
            "robot",
            "ROBOT",
            &["CVE-2017-13099"],
            active(&obs.attacks.robot),
        ),
        entry(
            "ticketbleed",
            "Ticketbleed",
            &["CVE-2016-9244"],
            ticketbleed,
        ),
        entry(
            "client-renegotiation",
            "Client-initiated renegotiation (DoS)",
            &[],
            client_renegotiation,
        ),
    ]
}
