//! A name with several addresses: each address is scanned, and the site is what its worst
//! address serves (SSL Labs grades the same way: a client that reaches that address gets
//! that TLS). The report is the worst endpoint's, with every endpoint's summary and two
//! findings only a comparison can give — they are judged here, not in `assess::checks`,
//! because a check sees one endpoint's observations.

use std::cmp::Reverse;
use std::net::IpAddr;
use std::time::Instant;

use shared::{EndpointResult, Finding, FindingId, OtherChainLeaf, Report, Severity};

use crate::error::ProbeError;

/// Combines the scans of each address into one report (the outcomes in scan order, the
/// preferred address first).
pub(super) fn combine(
    outcomes: Vec<(IpAddr, Result<Report, ProbeError>)>,
    started: Instant,
) -> Result<Report, ProbeError> {
    let mut summaries = Vec::new();
    let mut reports = Vec::new();
    let mut first_error = None;
    for (ip, outcome) in outcomes {
        match outcome {
            Ok(report) => {
                summaries.push(summary(ip, &report));
                reports.push(report);
            }
            Err(error) => {
                summaries.push(EndpointResult {
                    ip,
                    grade: None,
                    error: Some(error.to_string()),
                    leaf_sha256: None,
                    protocols: Vec::new(),
                    cipher_suites: 0,
                    finding_ids: Vec::new(),
                    other_chain_leaves: Vec::new(),
                });
                first_error.get_or_insert(error);
            }
        }
    }
    let connections: u32 = reports.iter().map(|r| r.connections).sum();
    // The worst grade; between equals, the earlier (preferred) address.
    let Some(worst) = reports
        .iter()
        .enumerate()
        .max_by_key(|(i, r)| (r.grade, Reverse(*i)))
        .map(|(i, _)| i)
    else {
        return Err(
            first_error.unwrap_or_else(|| ProbeError::Internal("no address was scanned".into()))
        );
    };
    let mut report = reports.swap_remove(worst);
    report.connections = connections;
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.findings.extend(differences(&summaries));
    report.findings.extend(unreachable(&summaries));
    report.endpoints = summaries;
    Ok(report)
}

fn summary(ip: IpAddr, report: &Report) -> EndpointResult {
    EndpointResult {
        ip,
        grade: Some(report.grade),
        error: None,
        leaf_sha256: report.leaf().map(|c| c.sha256_fingerprint.clone()),
        protocols: report
            .protocols
            .iter()
            .filter(|p| p.supported == Some(true))
            .map(|p| p.version)
            .collect(),
        cipher_suites: report.protocols.iter().map(|p| p.cipher_suites.len()).sum(),
        finding_ids: {
            let mut ids: Vec<FindingId> = report.findings.iter().map(|f| f.id.clone()).collect();
            ids.sort();
            ids.dedup();
            ids
        },
        other_chain_leaves: report
            .other_chains
            .iter()
            .filter_map(|chain| {
                Some(OtherChainLeaf {
                    key_type: chain.key_type.clone(),
                    sha256: chain.certificates.first()?.sha256_fingerprint.clone(),
                })
            })
            .collect(),
    }
}

/// What differs between the endpoints that answered, each difference with the addresses on
/// each side.
fn differences(summaries: &[EndpointResult]) -> Option<Finding> {
    let answered: Vec<&EndpointResult> = summaries.iter().filter(|s| s.grade.is_some()).collect();
    let mut lines = Vec::new();
    let mut compare = |what: &str, key: &dyn Fn(&EndpointResult) -> String| {
        let mut groups: Vec<(String, Vec<IpAddr>)> = Vec::new();
        for endpoint in &answered {
            let value = key(endpoint);
            match groups.iter_mut().find(|(v, _)| *v == value) {
                Some((_, ips)) => ips.push(endpoint.ip),
                None => groups.push((value, vec![endpoint.ip])),
            }
        }
        if groups.len() > 1 {
            let sides: Vec<String> = groups
                .iter()
                .map(|(value, ips)| {
                    let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
                    format!("{}: {value}", ips.join(", "))
                })
                .collect();
            lines.push(format!("{what} — {}", sides.join("; ")));
        }
    };
    compare("grade", &|e| {
        e.grade.map(|g| g.to_string()).unwrap_or_default()
    });
    compare("certificate (SHA-256)", &|e| {
        e.leaf_sha256
            .as_deref()
            .map_or_else(|| "none".to_owned(), |f| f.chars().take(16).collect())
    });
    compare("other chains (key type, SHA-256)", &|e| {
        if e.other_chain_leaves.is_empty() {
            return "none".to_owned();
        }
        let mut leaves: Vec<String> = e
            .other_chain_leaves
            .iter()
            .map(|leaf| {
                let sha256: String = leaf.sha256.chars().take(16).collect();
                format!("{} {sha256}", leaf.key_type)
            })
            .collect();
        // The order the probes found them in is not the server's difference.
        leaves.sort();
        leaves.join(", ")
    });
    compare("protocols", &|e| {
        let names: Vec<&str> = e.protocols.iter().map(|p| p.display_name()).collect();
        names.join(" ")
    });
    compare("cipher suites accepted", &|e| e.cipher_suites.to_string());
    compare("findings", &|e| {
        let ids: Vec<&str> = e.finding_ids.iter().map(FindingId::as_str).collect();
        ids.join(" ")
    });
    if lines.is_empty() {
        return None;
    }
    Some(Finding {
        id: FindingId::EndpointsDiffer,
        severity: Severity::Medium,
        title: "The addresses of this name do not serve the same TLS".into(),
        detail: format!(
            "Clients reach one address or another, so they get different TLS: {}. The grade is \
             the worst address's.",
            lines.join(". ")
        ),
        fix: "Deploy the same certificate and TLS configuration on every server behind this \
              name (a stale server behind one address is the usual cause)."
            .into(),
        grade_cap: None,
        cve: Vec::new(),
    })
}

/// Addresses whose scan failed while others answered.
fn unreachable(summaries: &[EndpointResult]) -> Option<Finding> {
    let failed: Vec<String> = summaries
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| format!("{} ({e})", s.ip)))
        .collect();
    if failed.is_empty() {
        return None;
    }
    Some(Finding {
        id: FindingId::EndpointUnreachable,
        severity: Severity::High,
        title: "An address of this name does not answer TLS".into(),
        detail: format!(
            "Clients that reach these addresses cannot connect: {}.",
            failed.join("; ")
        ),
        fix: "Bring the server behind that address back, or remove the address from DNS.".into(),
        grade_cap: None,
        cve: Vec::new(),
    })
}
