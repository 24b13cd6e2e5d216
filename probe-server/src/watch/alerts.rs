//! What changed between two scans of a watch, as alerts: the grade fell, a finding of medium
//! severity or worse appeared, the leaf certificate was replaced, the certificate expires
//! within 30/14/7/1 days, an address stopped answering, the whole site stopped answering.
//!
//! Each alert has a dedup key that names the change itself, so that seeing it again (the
//! same run retried after a replica died, or the certificate still expiring at the next
//! scan) never alerts twice: a transition is keyed by the scan it departs from, a new
//! certificate by its fingerprint, an expiry warning by the certificate and the threshold.

use serde_json::json;
use shared::{Report, Severity};

use crate::store::watches::{NewAlert, Watch};

/// Days before the leaf's notAfter at which a warning is sent (each once per certificate).
pub const EXPIRY_THRESHOLDS: [i64; 4] = [30, 14, 7, 1];

/// One change worth an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// grade-fell, finding-appeared, certificate-replaced, certificate-expires,
    /// endpoint-down, unreachable.
    pub kind: &'static str,
    pub dedup_key: String,
    /// One line for people (the webhook's Slack-compatible `text`).
    pub text: String,
    /// The structured change.
    pub detail: serde_json::Value,
}

/// The changes from `previous` (its history id and report; `None` for the first scan) to
/// `current`.
pub fn changes(previous: Option<(i64, &Report)>, current: &Report) -> Vec<Change> {
    let mut out = Vec::new();
    let leaf = current.certificates.first();
    if let Some((previous_id, before)) = previous {
        if current.grade > before.grade {
            out.push(Change {
                kind: "grade-fell",
                dedup_key: format!("grade-fell:{previous_id}"),
                text: format!("the grade fell from {} to {}", before.grade, current.grade),
                detail: json!({ "from": before.grade, "to": current.grade }),
            });
        }
        for finding in &current.findings {
            let serious = finding.severity <= Severity::Medium;
            let new = !before.findings.iter().any(|f| f.id == finding.id);
            if serious && new {
                out.push(Change {
                    kind: "finding-appeared",
                    dedup_key: format!("finding:{}:{previous_id}", finding.id.as_str()),
                    text: format!(
                        "new {} finding: {} (fix: {})",
                        severity_word(finding.severity),
                        finding.title,
                        finding.fix
                    ),
                    detail: json!({
                        "id": finding.id,
                        "severity": finding.severity,
                        "title": finding.title,
                        "detail": finding.detail,
                        "fix": finding.fix,
                    }),
                });
            }
        }
        if let (Some(old), Some(new)) = (before.certificates.first(), leaf)
            && old.sha256_fingerprint != new.sha256_fingerprint
        {
            out.push(Change {
                kind: "certificate-replaced",
                dedup_key: format!("certificate:{}", new.sha256_fingerprint),
                text: format!(
                    "the certificate was replaced (now issued by {}, valid until {})",
                    new.issuer_common_name.as_deref().unwrap_or(&new.issuer),
                    new.not_after
                ),
                detail: json!({
                    "from_sha256": old.sha256_fingerprint,
                    "to_sha256": new.sha256_fingerprint,
                    "not_after": new.not_after,
                    "issuer": new.issuer,
                }),
            });
        }
        let down: Vec<_> = current
            .endpoints
            .iter()
            .filter(|now| now.error.is_some())
            .filter(|now| {
                before
                    .endpoints
                    .iter()
                    .any(|then| then.ip == now.ip && then.error.is_none())
            })
            .collect();
        for endpoint in down {
            out.push(Change {
                kind: "endpoint-down",
                dedup_key: format!("endpoint-down:{}:{previous_id}", endpoint.ip),
                text: format!(
                    "the address {} stopped answering: {}",
                    endpoint.ip,
                    endpoint.error.as_deref().unwrap_or("no answer")
                ),
                detail: json!({ "ip": endpoint.ip, "error": endpoint.error }),
            });
        }
    }
    if let Some(leaf) = leaf
        && let Some(threshold) = EXPIRY_THRESHOLDS
            .iter()
            .rev()
            .find(|t| leaf.days_remaining <= **t)
    {
        let when = if leaf.days_remaining < 0 {
            "has expired".to_owned()
        } else {
            format!("expires in {} days", leaf.days_remaining)
        };
        out.push(Change {
            kind: "certificate-expires",
            dedup_key: format!("expires:{}:{threshold}", leaf.sha256_fingerprint),
            text: format!("the certificate {when} ({}): renew it", leaf.not_after),
            detail: json!({
                "threshold_days": threshold,
                "days_remaining": leaf.days_remaining,
                "not_after": leaf.not_after,
                "sha256": leaf.sha256_fingerprint,
            }),
        });
    }
    out
}

/// The alert for a run that gave no report, when the site answered at its last run.
pub fn unreachable(watch: &Watch, error: &str) -> Option<Change> {
    if watch.last_error.is_some() {
        return None;
    }
    Some(Change {
        kind: "unreachable",
        dedup_key: format!("unreachable:{}", watch.last_scan_id.unwrap_or(0)),
        text: format!("the site stopped answering: {error}"),
        detail: json!({ "error": error, "last_scan_id": watch.last_scan_id }),
    })
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// The stored alert (and webhook body) of a change: a Slack-compatible `text` plus the
/// structured change.
pub fn alert(watch: &Watch, change: &Change, scan: Option<(i64, &Report)>) -> NewAlert {
    let target = if watch.port == crate::target::DEFAULT_PORT {
        watch.host.clone()
    } else {
        format!("{}:{}", watch.host, watch.port)
    };
    let body = json!({
        "text": format!("TLS probe: {target}: {}", change.text),
        "kind": change.kind,
        "key": change.dedup_key,
        "watch": { "id": watch.id, "host": watch.host, "port": watch.port },
        "change": change.detail,
        "scan_id": scan.map(|s| s.0),
        "scanned_at": scan.map(|s| s.1.scanned_at.clone()),
        "grade": scan.map(|s| s.1.grade),
    });
    NewAlert {
        kind: change.kind.to_owned(),
        dedup_key: change.dedup_key.clone(),
        payload: body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Grade;

    fn good() -> Report {
        serde_json::from_str(include_str!("../../../shared/fixtures/scan-good.json")).unwrap()
    }

    #[test]
    fn no_change_is_no_alert_and_each_change_has_its_own_key() {
        let before = good();
        let mut after = before.clone();
        if let Some(leaf) = after.certificates.first_mut() {
            leaf.days_remaining = 200;
        }
        let mut same = before.clone();
        if let Some(leaf) = same.certificates.first_mut() {
            leaf.days_remaining = 200;
        }
        assert_eq!(changes(Some((1, &same)), &after), vec![]);

        after.grade = Grade::F;
        after.certificates[0].sha256_fingerprint = "ff".repeat(32);
        after.certificates[0].days_remaining = 6;
        let kinds: Vec<_> = changes(Some((1, &same)), &after)
            .into_iter()
            .map(|c| (c.kind, c.dedup_key))
            .collect();
        assert!(
            kinds.contains(&("grade-fell", "grade-fell:1".into())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&(
                "certificate-replaced",
                format!("certificate:{}", "ff".repeat(32))
            )),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&(
                "certificate-expires",
                format!("expires:{}:7", "ff".repeat(32))
            )),
            "the smallest threshold crossed: {kinds:?}"
        );
        // The first scan: only what is true of it alone (the expiry).
        let first: Vec<_> = changes(None, &after).into_iter().map(|c| c.kind).collect();
        assert_eq!(first, vec!["certificate-expires"]);
    }
}
