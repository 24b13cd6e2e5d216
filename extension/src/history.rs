//! Each site's last verdicts, kept in the browser (`storage.local`, never sent anywhere), and
//! what changed since the person's last visit: a new certificate, a grade that fell or rose
//! (with the findings that came or went), a certificate close to expiry.
//!
//! Plain data and pure functions: the popup's glue loads the [`History`], calls
//! [`History::record`] with the final report and the clock, stores the result and shows the
//! [`Change`]s; the options page lists [`History::sites`] and can clear it.

use serde::{Deserialize, Serialize};
use shared::{Grade, Report, ScanMode};

/// Sites kept at most; the least recently seen goes first.
pub const MAX_SITES: usize = 500;
/// A certificate expiring within this many days is mentioned on every visit.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// The `storage.local` key the history lives under.
pub const STORAGE_KEY: &str = "history";

/// Findings named in "grade fell" at most (the rest are counted).
const MAX_CAUSES: usize = 3;
const DAY_MS: u64 = 86_400_000;
const HOUR_MS: u64 = 3_600_000;

/// What one scan of a site said, as much as the next visit compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub grade: Grade,
    /// SHA-256 of the leaf certificate (lowercase hex), when the scan saw one.
    #[serde(default)]
    pub leaf_sha256: Option<String>,
    /// The leaf's notAfter (RFC 3339).
    #[serde(default)]
    pub not_after: Option<String>,
    /// The ids of the report's findings, sorted.
    #[serde(default)]
    pub findings: Vec<String>,
    /// The report's `scanned_at`: a cached answer shown again is the same visit
    /// ([`Visit::same_scan`]).
    pub scanned_at: String,
    /// When the popup saw it (ms since the Unix epoch).
    pub seen_ms: u64,
}

impl Visit {
    /// The same scan seen again (a cached answer): same time, same verdict, same leaf.
    pub fn same_scan(&self, other: &Self) -> bool {
        self.scanned_at == other.scanned_at
            && self.grade == other.grade
            && self.leaf_sha256 == other.leaf_sha256
            && self.findings == other.findings
    }

    /// The visit of a final report, seen at `now_ms`.
    pub fn of(report: &Report, now_ms: u64) -> Self {
        let leaf = report.certificates.first();
        let mut findings: Vec<String> = report
            .findings
            .iter()
            .map(|f| f.id.as_str().to_owned())
            .collect();
        findings.sort();
        findings.dedup();
        Self {
            grade: report.grade,
            leaf_sha256: leaf.map(|c| c.sha256_fingerprint.clone()),
            not_after: leaf.map(|c| c.not_after.clone()),
            findings,
            scanned_at: report.scanned_at.clone(),
            seen_ms: now_ms,
        }
    }
}

/// One site: its latest visit and the one before it (what the latest is compared with).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteHistory {
    /// The site as the popup labels it (`host` or `host:port`).
    pub site: String,
    pub last: Visit,
    #[serde(default)]
    pub previous: Option<Visit>,
}

/// Every site's history, least recently seen first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default)]
    pub sites: Vec<SiteHistory>,
}

/// Something that changed since the last visit, or that the person should know on every one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The leaf certificate is not the one the last visit saw.
    NewCertificate { since_ms: u64 },
    /// The grade is worse than at the last visit; `causes` are the titles of the findings
    /// that were not there then.
    GradeFell {
        from: Grade,
        to: Grade,
        since_ms: u64,
        causes: Vec<String>,
    },
    /// The grade is better than at the last visit; `fixed` counts the last visit's findings
    /// that are gone (only their ids were kept, not their titles).
    GradeRose {
        from: Grade,
        to: Grade,
        since_ms: u64,
        fixed: usize,
    },
    /// The certificate expires within [`EXPIRY_WARNING_DAYS`] (or has expired).
    Expires { days: i64 },
}

impl Change {
    /// The sentence the popup shows.
    pub fn sentence(&self, now_ms: u64) -> String {
        match self {
            Self::NewCertificate { since_ms } => {
                format!(
                    "New certificate since your visit {}.",
                    ago(*since_ms, now_ms)
                )
            }
            Self::GradeFell {
                from,
                to,
                since_ms,
                causes,
            } => {
                let mut s = format!("Grade fell from {from} to {to}");
                if causes.is_empty() {
                    s.push_str(&format!(" since {}.", ago(*since_ms, now_ms)));
                } else {
                    s.push_str(": ");
                    s.push_str(&causes.join("; "));
                    s.push_str(&format!(" (since {}).", ago(*since_ms, now_ms)));
                }
                s
            }
            Self::GradeRose {
                from,
                to,
                since_ms,
                fixed,
            } => {
                let mut s = format!(
                    "Grade rose from {from} to {to} since {}",
                    ago(*since_ms, now_ms)
                );
                match fixed {
                    0 => s.push('.'),
                    1 => s.push_str(": one finding is gone."),
                    n => s.push_str(&format!(": {n} findings are gone.")),
                }
                s
            }
            Self::Expires { days } => match days {
                d if *d < 0 => "The certificate has expired.".to_owned(),
                0 => "The certificate expires today.".to_owned(),
                1 => "The certificate expires tomorrow.".to_owned(),
                d => format!("The certificate expires in {d} days."),
            },
        }
    }

    /// A change for the worse (the popup colours it, the badge marks a drop).
    pub const fn is_worse(&self) -> bool {
        matches!(self, Self::GradeFell { .. } | Self::Expires { .. })
    }
}

/// "3 days ago", "yesterday", "2 hours ago", "just now".
pub fn ago(then_ms: u64, now_ms: u64) -> String {
    let elapsed = now_ms.saturating_sub(then_ms);
    let days = elapsed / DAY_MS;
    let hours = elapsed / HOUR_MS;
    match (days, hours) {
        (0, 0) => "less than an hour ago".to_owned(),
        (0, 1) => "an hour ago".to_owned(),
        (0, h) => format!("{h} hours ago"),
        (1, _) => "yesterday".to_owned(),
        (d, _) => format!("{d} days ago"),
    }
}

/// What changed between `before` and `now` (the current report, for the findings' titles).
pub fn changes(before: Option<&Visit>, now: &Visit, report: &Report) -> Vec<Change> {
    let mut out = Vec::new();
    if let Some(before) = before {
        let since_ms = before.seen_ms;
        if let (Some(old), Some(new)) = (&before.leaf_sha256, &now.leaf_sha256)
            && old != new
        {
            out.push(Change::NewCertificate { since_ms });
        }
        if now.grade > before.grade {
            // The new findings that hold the grade where it is now explain the drop; then
            // any new one capping below the old grade; when none caps (a score change),
            // every new finding is a candidate.
            let new: Vec<&shared::Finding> = report
                .findings
                .iter()
                .filter(|f| !before.findings.iter().any(|id| id == f.id.as_str()))
                .collect();
            let capping = |caps: &dyn Fn(Grade) -> bool| -> Vec<&shared::Finding> {
                new.iter()
                    .copied()
                    .filter(|f| f.grade_cap.is_some_and(caps))
                    .collect()
            };
            let holding = capping(&|cap| cap >= now.grade);
            let below_old = capping(&|cap| cap > before.grade);
            let list = [holding, below_old]
                .into_iter()
                .find(|l| !l.is_empty())
                .unwrap_or(new);
            let mut causes: Vec<String> = list
                .iter()
                .take(MAX_CAUSES)
                .map(|f| f.title.clone())
                .collect();
            if list.len() > MAX_CAUSES {
                causes.push(format!("and {} more", list.len() - MAX_CAUSES));
            }
            out.push(Change::GradeFell {
                from: before.grade,
                to: now.grade,
                since_ms,
                causes,
            });
        } else if now.grade < before.grade {
            let fixed = before
                .findings
                .iter()
                .filter(|id| !now.findings.contains(id))
                .count();
            out.push(Change::GradeRose {
                from: before.grade,
                to: now.grade,
                since_ms,
                fixed,
            });
        }
    }
    if let Some(days) = report.certificates.first().map(|c| c.days_remaining)
        && days <= EXPIRY_WARNING_DAYS
    {
        out.push(Change::Expires { days });
    }
    out
}

impl History {
    /// Records the final report of `site`, seen at `now_ms`, and returns what changed since
    /// the visit before. Quick (provisional) reports are not recorded: their grade is not the
    /// site's. The same report seen again (a cached answer: same `scanned_at`) is the same
    /// visit ([`Visit::same_scan`]), compared with the same one before, so reopening the
    /// popup says the same thing.
    pub fn record(&mut self, site: &str, report: &Report, now_ms: u64) -> Vec<Change> {
        if report.scan_mode == ScanMode::Quick {
            return changes(None, &Visit::of(report, now_ms), report);
        }
        let visit = Visit::of(report, now_ms);
        let entry = match self.sites.iter().position(|s| s.site == site) {
            Some(i) => {
                let mut entry = self.sites.remove(i);
                if !entry.last.same_scan(&visit) {
                    entry.previous = Some(std::mem::replace(&mut entry.last, visit));
                }
                entry
            }
            None => SiteHistory {
                site: site.to_owned(),
                last: visit,
                previous: None,
            },
        };
        let found = changes(entry.previous.as_ref(), &entry.last, report);
        self.sites.push(entry);
        if self.sites.len() > MAX_SITES {
            let excess = self.sites.len() - MAX_SITES;
            self.sites.drain(..excess);
        }
        found
    }

    /// The history of `site`, if any.
    pub fn site(&self, site: &str) -> Option<&SiteHistory> {
        self.sites.iter().find(|s| s.site == site)
    }

    /// Every site, most recently seen first (the options page's list).
    pub fn sites(&self) -> impl Iterator<Item = &SiteHistory> {
        self.sites.iter().rev()
    }
}

/// Whether the badge marks a drop: a grade that fell since the last visit.
pub fn dropped(changes: &[Change]) -> bool {
    changes
        .iter()
        .any(|c| matches!(c, Change::GradeFell { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Report {
        let path = format!(
            "{}/../shared/fixtures/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("report")
    }

    fn rescanned(mut report: Report, at: &str) -> Report {
        report.scanned_at = at.to_owned();
        report
    }

    const NOW: u64 = 1_800_000_000_000;

    #[test]
    fn the_first_visit_has_nothing_to_compare() {
        let mut history = History::default();
        let report = fixture("strong-a-plus");
        assert!(history.record("strong.test", &report, NOW).is_empty());
        let site = history.site("strong.test").expect("recorded");
        assert_eq!(site.last.grade, Grade::APlus);
        assert_eq!(site.last.seen_ms, NOW);
        assert!(site.previous.is_none());
        assert!(site.last.leaf_sha256.is_some());
    }

    #[test]
    fn a_grade_that_fell_names_the_findings_that_came() {
        let mut history = History::default();
        let strong = fixture("strong-a-plus");
        history.record("site.test", &strong, NOW - 3 * DAY_MS);
        let legacy = rescanned(fixture("legacy-tls10-3des"), "2030-01-01T00:00:00Z");
        let changes = history.record("site.test", &legacy, NOW);
        let fell = changes
            .iter()
            .find(|c| matches!(c, Change::GradeFell { .. }))
            .expect("the grade fell");
        let text = fell.sentence(NOW);
        assert!(text.starts_with("Grade fell from A+ to C: "), "{text}");
        assert!(
            text.contains("Vulnerable to Sweet32") && text.contains("Accepts 3DES"),
            "{text}"
        );
        assert!(!text.contains("TLS 1.1"), "only what holds it at C: {text}");
        assert!(text.ends_with("(since 3 days ago)."), "{text}");
        assert!(dropped(&changes));
        // A different leaf, too.
        assert!(changes.contains(&Change::NewCertificate {
            since_ms: NOW - 3 * DAY_MS
        }));
        assert_eq!(
            Change::NewCertificate {
                since_ms: NOW - 3 * DAY_MS
            }
            .sentence(NOW),
            "New certificate since your visit 3 days ago."
        );
    }

    #[test]
    fn a_grade_that_rose_counts_what_is_gone() {
        let mut history = History::default();
        history.record("site.test", &fixture("legacy-tls10-3des"), NOW - DAY_MS);
        let strong = rescanned(fixture("strong-a-plus"), "2030-01-01T00:00:00Z");
        let changes = history.record("site.test", &strong, NOW);
        let Some(rose @ Change::GradeRose { fixed, .. }) = changes
            .iter()
            .find(|c| matches!(c, Change::GradeRose { .. }))
        else {
            panic!("the grade rose: {changes:?}");
        };
        assert!(*fixed > 0);
        assert!(
            rose.sentence(NOW)
                .starts_with("Grade rose from C to A+ since yesterday")
        );
        assert!(!dropped(&changes));
    }

    #[test]
    fn the_same_report_again_says_the_same_thing() {
        let mut history = History::default();
        history.record("site.test", &fixture("strong-a-plus"), NOW - DAY_MS);
        let legacy = rescanned(fixture("legacy-tls10-3des"), "2030-01-01T00:00:00Z");
        let first = history.record("site.test", &legacy, NOW);
        let again = history.record("site.test", &legacy, NOW + HOUR_MS);
        assert_eq!(first, again);
        assert_eq!(history.sites.len(), 1);
        // A new scan with nothing new: nothing changed since the visit before it.
        let later = rescanned(legacy, "2030-01-02T00:00:00Z");
        assert!(!dropped(&history.record("site.test", &later, NOW + DAY_MS)));
    }

    #[test]
    fn quick_reports_are_not_recorded() {
        let mut history = History::default();
        let quick = fixture("quick-provisional");
        assert_eq!(quick.scan_mode, ScanMode::Quick);
        history.record("quick.test", &quick, NOW);
        assert!(history.sites.is_empty());
    }

    #[test]
    fn expiry_is_mentioned_when_close() {
        let mut report = fixture("strong-a-plus");
        report.certificates[0].days_remaining = 12;
        let changes = History::default().record("x.test", &report, NOW);
        assert_eq!(changes, vec![Change::Expires { days: 12 }]);
        assert_eq!(
            changes[0].sentence(NOW),
            "The certificate expires in 12 days."
        );
        assert_eq!(
            Change::Expires { days: -2 }.sentence(NOW),
            "The certificate has expired."
        );
        report.certificates[0].days_remaining = 200;
        assert!(History::default().record("x.test", &report, NOW).is_empty());
    }

    #[test]
    fn holds_at_most_max_sites_and_drops_the_oldest() {
        let mut history = History::default();
        let report = fixture("strong-a-plus");
        for i in 0..MAX_SITES + 20 {
            history.record(&format!("s{i}.test"), &report, NOW + i as u64);
        }
        assert_eq!(history.sites.len(), MAX_SITES);
        assert!(history.site("s0.test").is_none());
        assert!(history.site("s19.test").is_none());
        assert!(history.site("s20.test").is_some());
        // Seeing an old site again makes it the newest.
        history.record("s20.test", &report, NOW + 10_000);
        assert_eq!(
            history.sites().next().map(|s| s.site.as_str()),
            Some("s20.test")
        );
        history.record("new.test", &report, NOW + 10_001);
        assert!(history.site("s20.test").is_some());
        assert!(history.site("s21.test").is_none());
    }

    #[test]
    fn stored_history_round_trips_and_old_entries_still_read() {
        let mut history = History::default();
        history.record("a.test", &fixture("strong-a-plus"), NOW);
        let json = serde_json::to_string(&history).expect("json");
        assert_eq!(
            serde_json::from_str::<History>(&json).expect("back"),
            history
        );
        let minimal =
            r#"{"sites":[{"site":"a.test","last":{"grade":"B","scanned_at":"x","seen_ms":1}}]}"#;
        let read: History = serde_json::from_str(minimal).expect("minimal");
        assert_eq!(read.sites[0].last.grade, Grade::B);
        assert_eq!(
            serde_json::from_str::<History>("{}").expect("empty"),
            History::default()
        );
    }

    #[test]
    fn ago_reads_like_a_person() {
        assert_eq!(ago(NOW, NOW), "less than an hour ago");
        assert_eq!(ago(NOW - HOUR_MS, NOW), "an hour ago");
        assert_eq!(ago(NOW - 5 * HOUR_MS, NOW), "5 hours ago");
        assert_eq!(ago(NOW - DAY_MS, NOW), "yesterday");
        assert_eq!(ago(NOW - 3 * DAY_MS, NOW), "3 days ago");
        assert_eq!(ago(NOW + 5, NOW), "less than an hour ago");
    }
}
