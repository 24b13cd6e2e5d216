//! The CLI's human-readable report: grade first, then what matters, most severe first.

use std::fmt::Write as _;

use owo_colors::OwoColorize as _;
use shared::{
    Compliance, ComplianceVerdict, Finding, Grade, HandshakeSimulation, Report, Severity,
    SimulationOutcome,
};

/// Renders `report` for a terminal; `colour` turns on ANSI colours.
pub fn render(report: &Report, colour: bool) -> String {
    let p = Painter(colour);
    let mut out = String::new();
    let target = &report.target;
    let ip = if target.host == target.ip.to_string() {
        String::new()
    } else {
        format!(" ({})", target.ip)
    };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {}  {}:{}{}",
        p.grade(report.grade),
        p.bold(&target.host),
        target.port,
        p.dim(&ip)
    );
    let _ = writeln!(out, "  {}", verdict(report));
    if !report.rating.complete {
        let why = match report.scan_mode {
            shared::ScanMode::Quick => "quick scan: only the verified handshake ran",
            shared::ScanMode::Full => "some checks could not run (see below)",
        };
        let _ = writeln!(out, "  {}", p.dim(&format!("Provisional grade — {why}.")));
    }
    if report.grade.is_trust_failure() {
        let _ = writeln!(
            out,
            "  {}",
            p.dim(&format!(
                "If the certificate were trusted: {}",
                report.rating.grade_ignoring_trust
            ))
        );
    }
    let _ = writeln!(out);
    if !report.endpoints.is_empty() {
        write_endpoints(&mut out, &p, report);
    }

    if let Some(c) = &report.connection {
        let mut parts = vec![c.protocol_version.to_string(), c.cipher_suite.clone()];
        parts.extend(c.key_exchange_group.clone());
        parts.extend(c.alpn.clone());
        row(&mut out, &p, "Connection", &parts.join(" · "));
    }
    let supported: Vec<&str> = report
        .protocols
        .iter()
        .filter(|x| x.supported == Some(true))
        .map(|x| x.version.as_str())
        .collect();
    let refused: Vec<&str> = report
        .protocols
        .iter()
        .filter(|x| x.supported == Some(false))
        .map(|x| x.version.as_str())
        .collect();
    let mut protocols = format!(
        "supported: {}",
        if supported.is_empty() {
            "none seen".into()
        } else {
            supported.join(", ")
        }
    );
    if !refused.is_empty() {
        let _ = write!(protocols, "; refused: {}", refused.join(", "));
    }
    row(&mut out, &p, "Protocols", &protocols);
    if let Some(leaf) = report.leaf() {
        let subject = leaf.common_name.as_deref().unwrap_or(&leaf.subject);
        let issuer = leaf.issuer_common_name.as_deref().unwrap_or(&leaf.issuer);
        let expiry = match leaf.days_remaining {
            d if d < 0 => format!("expired {} days ago", -d),
            0 => "expires today".into(),
            d => format!("expires in {d} days"),
        };
        row(
            &mut out,
            &p,
            "Certificate",
            &format!("{subject}, issued by {issuer}, {expiry}"),
        );
        let key = match &leaf.key.curve {
            Some(curve) => format!("{} {curve}", leaf.key.algorithm),
            None => format!("{} {} bits", leaf.key.algorithm, leaf.key.bits),
        };
        row(
            &mut out,
            &p,
            "",
            &format!("{key} · {}", leaf.signature_algorithm),
        );
        row(
            &mut out,
            &p,
            "",
            &format!("names: {}", leaf.subject_alt_names.join(", ")),
        );
        row(
            &mut out,
            &p,
            "",
            &format!("SHA-256 {}", leaf.sha256_fingerprint),
        );
    }
    let trust = if report.trust.trusted && report.trust.name_matches {
        let mut t = "trusted".to_owned();
        if let Some(anchor) = &report.trust.anchor {
            let _ = write!(t, " (root: {anchor})");
        }
        p.good(&t)
    } else {
        p.bad(
            &report
                .trust
                .issues
                .iter()
                .map(|i| i.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )
    };
    row(&mut out, &p, "Trust", &trust);
    for other in &report.other_chains {
        let (line, sound) = other_chain(other);
        let line = if sound { p.good(&line) } else { p.bad(&line) };
        row(&mut out, &p, "Other chain", &line);
    }
    if let Some(http) = &report.http {
        let hsts = match &http.hsts {
            Some(h) => h.raw.clone(),
            None => "none".into(),
        };
        row(&mut out, &p, "HSTS", &hsts);
        if let Some(plain) = &http.plain_http {
            let text = match (&plain.location, plain.redirects_to_https) {
                (Some(l), true) => format!("redirects to {l}"),
                (Some(l), false) => format!("redirects to {l} (not HTTPS)"),
                (None, _) => format!("answers {} without redirecting", plain.status),
            };
            row(&mut out, &p, "Port 80", &text);
        }
    }

    if let Some(sessions) = sessions(&report.features) {
        row(&mut out, &p, "TLS 1.2", &sessions);
    }
    if let Some(sessions) = tls13_sessions(&report.features) {
        row(&mut out, &p, "TLS 1.3", &sessions);
    }
    if let Some(policy) = &report.policy {
        write_policy(&mut out, &p, policy);
    }
    if let Some(ct) = &report.ct {
        write_ct(&mut out, &p, ct);
    }
    if let Some(compliance) = &report.compliance {
        write_compliance(&mut out, &p, compliance);
    }
    write_simulations(&mut out, &p, &report.simulations);

    let _ = writeln!(out);
    if report.findings.is_empty() {
        let _ = writeln!(out, "  {}", p.good("No findings."));
    }
    for severity in Severity::ALL {
        for finding in report.findings.iter().filter(|f| f.severity == severity) {
            write_finding(&mut out, &p, finding, report);
        }
    }
    let limiting: Vec<String> = report
        .rating
        .caps
        .iter()
        .filter(|c| c.limiting)
        .map(|c| format!("{} (without it: {})", c.finding_id, c.grade_without))
        .collect();
    if !limiting.is_empty() {
        let _ = writeln!(
            out,
            "  Grade held at {} by: {}",
            report.grade,
            limiting.join(", ")
        );
    }
    for error in &report.errors {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            p.dim("could not check"),
            error.check,
            error.message
        );
    }
    let _ = writeln!(
        out,
        "  {}",
        p.dim(&format!(
            "Scanned in {} ms · rules {}",
            report.duration_ms, report.rating.rules_version
        ))
    );
    out
}

/// One other chain the server serves, in a line: its leaf's key, subject, issuer and expiry,
/// who gets it, and its trust (and whether that is sound: trusted and naming the host).
fn other_chain(chain: &shared::ServedChain) -> (String, bool) {
    let mut line = match chain.certificates.first() {
        Some(leaf) => {
            let key = match &leaf.key.curve {
                Some(curve) => format!("{} {curve}", leaf.key.algorithm),
                None => format!("{} {} bits", leaf.key.algorithm, leaf.key.bits),
            };
            let subject = leaf.common_name.as_deref().unwrap_or(&leaf.subject);
            let issuer = leaf.issuer_common_name.as_deref().unwrap_or(&leaf.issuer);
            let expiry = match leaf.days_remaining {
                d if d < 0 => format!("expired {} days ago", -d),
                d => format!("expires in {d} days"),
            };
            format!("{key}: {subject}, issued by {issuer}, {expiry}")
        }
        None => chain.key_type.clone(),
    };
    let _ = write!(line, " · to {}", chain.served_to);
    let sound = chain.trust.trusted && chain.trust.name_matches;
    if sound {
        line.push_str(" · trusted");
    } else {
        let issues: Vec<&str> = chain
            .trust
            .issues
            .iter()
            .map(|i| i.message.as_str())
            .collect();
        let _ = write!(line, " · {}", issues.join("; "));
    }
    (line, sound)
}

/// What the completed TLS 1.2 handshakes showed, in one line: resumption (by session id, by
/// ticket, the ticket's lifetime), the Extended Master Secret, client renegotiation; `None`
/// when none of it was tested.
fn sessions(features: &shared::Features) -> Option<String> {
    let yes_no = |b: bool, yes: &str, no: &str| if b { yes.to_owned() } else { no.to_owned() };
    let mut parts = Vec::new();
    let ways: Vec<String> = [
        (features.resumption_by_session_id, "by session id"),
        (features.resumption_by_ticket, "by ticket"),
    ]
    .into_iter()
    .filter_map(|(seen, how)| seen.map(|resumed| yes_no(resumed, how, &format!("not {how}"))))
    .collect();
    if !ways.is_empty() {
        let mut text = format!("resumes {}", ways.join(", "));
        if let Some(hint) = features.ticket_lifetime_hint {
            let _ = write!(text, " (ticket lifetime {hint} s)");
        }
        parts.push(text);
    }
    if let Some(ems) = features.extended_master_secret {
        parts.push(yes_no(
            ems,
            "Extended Master Secret",
            "no Extended Master Secret",
        ));
    }
    if let Some(accepted) = features.client_renegotiation {
        parts.push(yes_no(
            accepted,
            "accepts client-initiated renegotiation",
            "refuses client-initiated renegotiation",
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// What the verified client saw of TLS 1.3 sessions, in one line: tickets, resumption,
/// 0-RTT; `None` when TLS 1.3 sessions were not tested.
fn tls13_sessions(features: &shared::Features) -> Option<String> {
    let resumed = features.tls13_resumption?;
    let tickets = features.tls13_tickets.unwrap_or_default();
    let mut parts = vec![format!(
        "{} ({tickets} ticket{})",
        if resumed {
            "resumes by ticket"
        } else {
            "does not resume"
        },
        if tickets == 1 { "" } else { "s" }
    )];
    match (features.early_data, features.max_early_data_size) {
        (Some(true), Some(bytes)) => {
            parts.push(format!("accepts 0-RTT early data (up to {bytes} bytes)"))
        }
        (Some(true), None) => parts.push("accepts 0-RTT early data".into()),
        (Some(false), Some(0)) => parts.push("no 0-RTT".into()),
        (Some(false), _) => parts.push("0-RTT offered by its tickets but refused".into()),
        (None, _) => {}
    }
    Some(parts.join(" · "))
}

/// One line saying what the grade means.
pub fn verdict(report: &Report) -> String {
    let worst = report.findings.first();
    match (report.grade, worst) {
        (Grade::APlus | Grade::A, None) => "Strong TLS.".into(),
        (Grade::APlus | Grade::A | Grade::AMinus, Some(f)) if f.severity >= Severity::Low => {
            format!("Good TLS. {}.", f.title)
        }
        (_, Some(f)) => format!("{}.", f.title),
        (_, None) => "Good TLS.".into(),
    }
}

fn write_finding(out: &mut String, p: &Painter, finding: &Finding, report: &Report) {
    let label = format!("{:<8}", finding.severity.as_str().to_uppercase());
    let label = match finding.severity {
        Severity::Critical | Severity::High => p.bad(&label),
        Severity::Medium | Severity::Low => p.warn(&label),
        Severity::Info => p.dim(&label),
    };
    let cap = match finding.grade_cap {
        Some(cap) => {
            let limiting = report
                .rating
                .caps
                .iter()
                .any(|c| c.finding_id == finding.id && c.limiting);
            let text = format!(
                " [caps grade at {cap}{}]",
                if limiting { ", holds it down" } else { "" }
            );
            p.dim(&text)
        }
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "  {label} {}{cap}  {}",
        p.bold(&finding.title),
        p.dim(finding.id.as_str())
    );
    let _ = writeln!(out, "           {}", finding.detail);
    let _ = writeln!(out, "           {} {}", p.dim("Fix:"), finding.fix);
    let _ = writeln!(out);
}

/// The guideline's verdict per profile: "compliant", or each deviation with its fix, and
/// what could not be checked.
fn write_compliance(out: &mut String, p: &Painter, compliance: &Compliance) {
    let _ = writeln!(out);
    row(out, p, "Compliance", &compliance.guideline);
    for profile in &compliance.profiles {
        let verdict = match profile.verdict() {
            ComplianceVerdict::Compliant => p.good("compliant"),
            ComplianceVerdict::Deviates => p.bad(&match profile.deviations.len() {
                1 => "not compliant: 1 deviation".to_owned(),
                n => format!("not compliant: {n} deviations"),
            }),
            ComplianceVerdict::Unknown => p.warn("not fully checked"),
        };
        let _ = writeln!(out, "    {:<14}{verdict}", profile.profile);
        for d in &profile.deviations {
            let _ = writeln!(
                out,
                "      {} {}",
                p.bold(&format!("{}:", d.what)),
                d.detail
            );
            let _ = writeln!(out, "        {} {}", p.dim("Fix:"), d.fix);
        }
        for n in &profile.not_checked {
            let _ = writeln!(
                out,
                "      {} {}: {}",
                p.dim("not checked"),
                n.what,
                n.detail
            );
        }
        for n in &profile.notes {
            let _ = writeln!(out, "      {} {}", p.dim("note"), p.dim(&n.detail));
        }
    }
}

/// One line per address of the name: its grade, protocols and certificate, or why it failed.
fn write_endpoints(out: &mut String, p: &Painter, report: &Report) {
    let _ = writeln!(
        out,
        "  {}",
        p.bold(&format!(
            "{} addresses scanned; the report below is {}'s, the worst",
            report.endpoints.len(),
            report.target.ip
        ))
    );
    for endpoint in &report.endpoints {
        let line = match (&endpoint.grade, &endpoint.error) {
            (Some(grade), _) => {
                let protocols: Vec<&str> = endpoint.protocols.iter().map(|v| v.as_str()).collect();
                let leaf = endpoint.leaf_sha256.as_deref().map_or_else(
                    || "no certificate".to_owned(),
                    |f| format!("cert {}", f.chars().take(16).collect::<String>()),
                );
                format!(
                    "{}  {} · {} suites · {leaf}",
                    p.grade(*grade),
                    protocols.join(" "),
                    endpoint.cipher_suites
                )
            }
            (None, error) => p.bad(&format!(
                "failed: {}",
                error.as_deref().unwrap_or("no answer")
            )),
        };
        row(out, p, &endpoint.ip.to_string(), &line);
    }
    let _ = writeln!(out);
}

/// The handshake simulation table: one line per client, protocol · suite · group, or why it
/// fails; `~` marks outcomes no real handshake confirmed, `!` those a real handshake changed.
fn write_simulations(out: &mut String, p: &Painter, simulations: &[HandshakeSimulation]) {
    if simulations.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {}  {}",
        p.bold("Handshake simulation"),
        p.dim("(~ predicted, not confirmed by a real handshake; ! a real handshake differed from the prediction)")
    );
    let width = simulations
        .iter()
        .map(|s| client_label(s).chars().count())
        .max()
        .unwrap_or(0);
    for s in simulations {
        let mark = match (&s.predicted, s.confirmed) {
            (Some(_), _) => "!",
            (None, true) => " ",
            (None, false) => "~",
        };
        let text = match &s.outcome {
            SimulationOutcome::Connected {
                protocol,
                cipher_suite,
                group,
                forward_secrecy,
                aead,
            } => {
                let mut parts = vec![protocol.as_str().to_owned(), cipher_suite.clone()];
                parts.extend(group.clone());
                let line = parts.join("  ");
                if *forward_secrecy && *aead {
                    line
                } else {
                    let mut weak = Vec::new();
                    if !forward_secrecy {
                        weak.push("no forward secrecy");
                    }
                    if !aead {
                        weak.push("no AEAD");
                    }
                    format!("{line}  {}", p.warn(&format!("({})", weak.join(", "))))
                }
            }
            SimulationOutcome::Failed { reason, detail } => {
                format!(
                    "{}  {}",
                    p.bad(&format!("FAILS: {}", reason.describe())),
                    p.dim(detail)
                )
            }
        };
        let label = client_label(s);
        let label = if s.current { p.bold(&label) } else { label };
        let pad = width.saturating_sub(client_label(s).chars().count());
        let _ = writeln!(out, "  {mark} {label}{:pad$}  {text}", "");
    }
}

/// The site's policy facts: Must-Staple, HSTS preload, CAA and HTTPS records.
fn write_policy(out: &mut String, p: &Painter, policy: &shared::Policy) {
    if policy.must_staple {
        row(
            out,
            p,
            "Must-Staple",
            "the leaf demands a stapled OCSP response",
        );
    }
    if let Some(preload) = &policy.hsts_preload {
        let text = match &preload.entry {
            Some(entry) if preload.include_subdomains => {
                p.good(&format!("listed (entry {entry}, with subdomains)"))
            }
            Some(entry) => p.good(&format!("listed (entry {entry})")),
            None => "not listed".to_owned(),
        };
        row(
            out,
            p,
            "HSTS preload",
            &format!(
                "{text} {}",
                p.dim(&format!("(list of {})", preload.list_date))
            ),
        );
    }
    let Some(dns) = &policy.dns else {
        return;
    };
    let caa = match &dns.caa.found_at {
        None => p.warn("none (every CA may issue)"),
        Some(at) => {
            let records: Vec<String> = dns
                .caa
                .records
                .iter()
                .map(|r| {
                    let flag = if r.critical { "128 " } else { "" };
                    format!("{flag}{} \"{}\"", r.tag, r.value)
                })
                .collect();
            let verdict = match dns.caa.issuer_allowed {
                Some(true) => p.good(" · allows the leaf's CA"),
                Some(false) => p.bad(" · does not allow the leaf's CA"),
                None => String::new(),
            };
            format!("at {at}: {}{verdict}", records.join(", "))
        }
    };
    row(out, p, "CAA", &caa);
    if dns.https.is_empty() {
        row(out, p, "HTTPS RR", "none");
    }
    for record in &dns.https {
        let mut text = format!("{} {}", record.priority, record.target);
        if !record.alpn.is_empty() {
            let _ = write!(text, " alpn={}", record.alpn.join(","));
        }
        if let Some(port) = record.port {
            let _ = write!(text, " port={port}");
        }
        if record.ech {
            let _ = write!(text, " ech");
        }
        row(out, p, "HTTPS RR", &text);
    }
    if dns.ech_advertised {
        row(out, p, "ECH", &p.good("advertised in DNS"));
    }
}

/// Certificate Transparency: each browser's policy, then one line per SCT.
fn write_ct(out: &mut String, p: &Painter, ct: &shared::CertificateTransparency) {
    let verdict = |name: &str, v: &Option<shared::CtPolicyVerdict>| match v {
        Some(v) if v.met => p.good(&format!("{name} policy met")),
        Some(_) => p.bad(&format!("{name} policy NOT met")),
        None => format!("{name} policy not judged (private CA)"),
    };
    let list = p.dim(&format!(
        "(log list {} of {})",
        ct.log_list.version, ct.log_list.timestamp
    ));
    row(
        out,
        p,
        "CT",
        &format!(
            "{} SCTs · {} · {} {list}",
            ct.scts.len(),
            verdict("Chrome", &ct.chrome),
            verdict("Apple", &ct.apple)
        ),
    );
    for sct in &ct.scts {
        let source = match sct.source {
            shared::SctSource::Embedded => "embedded",
            shared::SctSource::TlsExtension => "TLS extension",
            shared::SctSource::Ocsp => "OCSP",
        };
        let signature = match sct.signature {
            shared::SctSignature::Valid => p.good("valid"),
            shared::SctSignature::Invalid => p.bad("INVALID signature"),
            shared::SctSignature::UnknownLog => p.warn("unknown log"),
            shared::SctSignature::Unverifiable => p.warn("not verifiable"),
        };
        let log = sct.log_name.as_deref().unwrap_or(&sct.log_id);
        row(
            out,
            p,
            "",
            &format!("{source}: {log}, {} · {signature}", sct.timestamp),
        );
    }
    if !ct.tls_extension_checked {
        row(
            out,
            p,
            "",
            &p.dim("TLS extension not asked (quick scan, or no TLS 1.2)"),
        );
    }
}

fn client_label(s: &HandshakeSimulation) -> String {
    format!("{} {} / {}", s.client, s.version, s.platform)
}

fn row(out: &mut String, p: &Painter, label: &str, value: &str) {
    let _ = writeln!(out, "  {}  {value}", p.dim(&format!("{label:<12}")));
}

/// Paints text when colours are on.
struct Painter(bool);

impl Painter {
    fn grade(&self, grade: Grade) -> String {
        let text = format!(" {:^3}", grade.as_str());
        let text = format!("{text} ");
        if !self.0 {
            return format!("[{}]", grade.as_str());
        }
        match grade {
            Grade::APlus | Grade::A | Grade::AMinus => text.black().on_green().bold().to_string(),
            Grade::B | Grade::C => text.black().on_yellow().bold().to_string(),
            _ => text.white().on_red().bold().to_string(),
        }
    }
    fn bold(&self, t: &str) -> String {
        if self.0 {
            t.bold().to_string()
        } else {
            t.to_owned()
        }
    }
    fn dim(&self, t: &str) -> String {
        if self.0 {
            t.dimmed().to_string()
        } else {
            t.to_owned()
        }
    }
    fn good(&self, t: &str) -> String {
        if self.0 {
            t.green().to_string()
        } else {
            t.to_owned()
        }
    }
    fn warn(&self, t: &str) -> String {
        if self.0 {
            t.yellow().to_string()
        } else {
            t.to_owned()
        }
    }
    fn bad(&self, t: &str) -> String {
        if self.0 {
            t.red().to_string()
        } else {
            t.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::{ComplianceNote, Deviation, ProfileCompliance};

    use super::*;

    fn report() -> Report {
        serde_json::from_str(include_str!("../../../shared/fixtures/full-nginx.json"))
            .expect("a fixture report")
    }

    #[test]
    fn compliance_shows_each_profile_with_deviations_fixes_and_gaps() {
        let mut report = report();
        assert!(!render(&report, false).contains("Compliance"));
        report.compliance = Some(Compliance {
            guideline: "TLSRef 6.0".into(),
            version: "6.0".into(),
            source: "https://data.tlsref.org/guidelines/6.0.json".into(),
            profiles: vec![
                ProfileCompliance {
                    profile: "modern".into(),
                    compliant: false,
                    deviations: vec![Deviation {
                        what: "tls-version".into(),
                        detail: "offers TLS 1.2; the profile allows TLS 1.3".into(),
                        fix: "Enable exactly TLS 1.3 (nginx: ssl_protocols TLSv1.3;).".into(),
                    }],
                    not_checked: Vec::new(),
                    notes: Vec::new(),
                    oldest_clients: Vec::new(),
                },
                ProfileCompliance {
                    profile: "intermediate".into(),
                    compliant: true,
                    deviations: Vec::new(),
                    not_checked: Vec::new(),
                    notes: vec![ComplianceNote {
                        what: "groups".into(),
                        detail: "Does not offer X25519MLKEM768.".into(),
                    }],
                    oldest_clients: Vec::new(),
                },
                ProfileCompliance {
                    profile: "other".into(),
                    compliant: false,
                    deviations: Vec::new(),
                    not_checked: vec![ComplianceNote {
                        what: "hsts-max-age".into(),
                        detail: "the HTTPS request did not complete".into(),
                    }],
                    notes: Vec::new(),
                    oldest_clients: Vec::new(),
                },
            ],
        });
        let text = render(&report, false);
        let section: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.contains("Compliance"))
            .take(7)
            .collect();
        assert_eq!(
            section,
            [
                "  Compliance    TLSRef 6.0",
                "    modern        not compliant: 1 deviation",
                "      tls-version: offers TLS 1.2; the profile allows TLS 1.3",
                "        Fix: Enable exactly TLS 1.3 (nginx: ssl_protocols TLSv1.3;).",
                "    intermediate  compliant",
                "      note Does not offer X25519MLKEM768.",
                "    other         not fully checked",
            ]
        );
        assert!(
            text.contains("      not checked hsts-max-age: the HTTPS request did not complete\n")
        );
        // Colours do not change the words.
        assert!(render(&report, true).contains("not compliant: 1 deviation"));
    }

    #[test]
    fn the_tls12_row_says_how_sessions_resume_and_renegotiation_is_answered() {
        let mut features = shared::Features::default();
        assert_eq!(sessions(&features), None, "nothing tested, no row");
        features.resumption_by_session_id = Some(false);
        features.resumption_by_ticket = Some(true);
        features.ticket_lifetime_hint = Some(7200);
        features.extended_master_secret = Some(true);
        features.client_renegotiation = Some(false);
        assert_eq!(
            sessions(&features).unwrap(),
            "resumes not by session id, by ticket (ticket lifetime 7200 s) · Extended Master \
             Secret · refuses client-initiated renegotiation"
        );
        let mut r = report();
        r.features = features;
        assert!(
            render(&r, false).contains("TLS 1.2"),
            "{}",
            render(&r, false)
        );
    }

    #[test]
    fn each_other_chain_gets_a_line_with_its_key_expiry_clients_and_trust() {
        let mut r = report();
        assert!(!render(&r, false).contains("Other chain"));
        let mut leaf = r.certificates[0].clone();
        leaf.key = shared::PublicKeyInfo {
            algorithm: "RSA".into(),
            bits: 2048,
            curve: None,
        };
        leaf.common_name = Some("rsa.test".into());
        leaf.days_remaining = -3;
        let mut trust = r.trust.clone();
        trust.trusted = false;
        trust.issues = vec![shared::TrustIssue {
            kind: shared::TrustIssueKind::Expired,
            message: "the certificate expired 3 days ago".into(),
        }];
        r.other_chains.push(shared::ServedChain {
            key_type: "RSA".into(),
            served_to: "clients offering only RSA or EdDSA signatures".into(),
            certificates: vec![leaf],
            trust,
        });
        let text = render(&r, false);
        let line = text
            .lines()
            .find(|l| l.contains("Other chain"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains("RSA 2048 bits: rsa.test"), "{line}");
        assert!(line.contains("expired 3 days ago"), "{line}");
        assert!(
            line.contains("to clients offering only RSA or EdDSA signatures"),
            "{line}"
        );
        assert!(
            line.contains("the certificate expired 3 days ago"),
            "{line}"
        );
    }

    #[test]
    fn the_tls13_row_says_tickets_resumption_and_early_data() {
        let mut features = shared::Features::default();
        assert_eq!(tls13_sessions(&features), None, "nothing tested, no row");
        features.tls13_resumption = Some(true);
        features.tls13_tickets = Some(2);
        features.max_early_data_size = Some(0);
        features.early_data = Some(false);
        assert_eq!(
            tls13_sessions(&features).unwrap(),
            "resumes by ticket (2 tickets) · no 0-RTT"
        );
        features.max_early_data_size = Some(16_384);
        features.early_data = Some(true);
        assert_eq!(
            tls13_sessions(&features).unwrap(),
            "resumes by ticket (2 tickets) · accepts 0-RTT early data (up to 16384 bytes)"
        );
        let mut r = report();
        r.features = features;
        assert!(render(&r, false).contains("TLS 1.3"));
    }

    #[test]
    fn the_simulation_table_names_each_client_and_why_it_fails() {
        let report: Report =
            serde_json::from_str(include_str!("../../../shared/fixtures/full-dhe1024.json"))
                .expect("fixture");
        let text = render(&report, false);
        assert!(text.contains("Handshake simulation"), "{text}");
        let chrome = text
            .lines()
            .find(|l| l.contains("Chrome 137 / Windows 11"))
            .expect("a Chrome line");
        assert!(chrome.contains("FAILS: no common cipher suite"), "{chrome}");
        let java = text
            .lines()
            .find(|l| l.contains("Java 8u442 / OpenJDK"))
            .expect("a Java line");
        assert!(
            java.contains("TLSv1.2  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256  DH 1024"),
            "{java}"
        );
        assert_eq!(
            text.lines().filter(|l| l.contains(" / ")).count(),
            report.simulations.len()
        );
    }
}

#[cfg(test)]
mod policy_tests {
    use shared::{Caa, CaaRecord, DnsPolicy, HstsPreload, HttpsRecord, Policy};

    use super::*;

    #[test]
    fn the_policy_section_shows_caa_https_ech_preload_and_must_staple() {
        let mut report: Report =
            serde_json::from_str(include_str!("../../../shared/fixtures/full-nginx.json"))
                .expect("a fixture report");
        report.policy = Some(Policy {
            dns: Some(DnsPolicy {
                caa: Caa {
                    found_at: Some("example.test".into()),
                    records: vec![CaaRecord {
                        critical: false,
                        tag: "issue".into(),
                        value: "digicert.com".into(),
                    }],
                    issuer_domains: vec!["letsencrypt.org".into()],
                    issuer_allowed: Some(false),
                },
                https: vec![HttpsRecord {
                    priority: 1,
                    target: ".".into(),
                    alpn: vec!["h2".into(), "h3".into()],
                    port: None,
                    ech: true,
                }],
                ech_advertised: true,
            }),
            hsts_preload: Some(HstsPreload {
                listed: true,
                entry: Some("example.test".into()),
                include_subdomains: true,
                list_source: "test".into(),
                list_date: "2025-01-01".into(),
            }),
            must_staple: true,
        });
        let text = render(&report, false);
        for expected in [
            "Must-Staple",
            "listed (entry example.test, with subdomains)",
            "(list of 2025-01-01)",
            "at example.test: issue \"digicert.com\" · does not allow the leaf's CA",
            "1 . alpn=h2,h3 ech",
            "advertised in DNS",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
    }

    #[test]
    fn the_ct_section_shows_each_sct_and_the_policies() {
        let mut report: Report =
            serde_json::from_str(include_str!("../../../shared/fixtures/full-nginx.json"))
                .expect("a fixture report");
        report.ct = Some(shared::CertificateTransparency {
            log_list: shared::CtLogList {
                version: "89.30".into(),
                timestamp: "2026-08-25T13:35:26Z".into(),
                logs: 20,
            },
            scts: vec![shared::Sct {
                source: shared::SctSource::TlsExtension,
                log_id: "AAAA".into(),
                log_name: Some("Google 'Argon2026h2' log".into()),
                log_operator: Some("Google".into()),
                timestamp: "2026-11-01T00:00:00Z".into(),
                signature: shared::SctSignature::Invalid,
            }],
            tls_extension_checked: true,
            chrome: Some(shared::CtPolicyVerdict {
                met: false,
                detail: String::new(),
            }),
            apple: None,
        });
        let text = render(&report, false);
        for expected in [
            "1 SCTs · Chrome policy NOT met · Apple policy not judged (private CA)",
            "(log list 89.30 of 2026-08-25T13:35:26Z)",
            "TLS extension: Google 'Argon2026h2' log, 2026-11-01T00:00:00Z · INVALID signature",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
    }
}
