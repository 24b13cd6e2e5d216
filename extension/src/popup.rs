//! The popup's state machine. The glue feeds it what happens (the tab's URL, stream events,
//! answers, failures) and renders whatever state it is in; every state has something to show.
//!
//! ```text
//!   open(page) ──https──▶ Probing ──quick──▶ Probing(+report) ──final──▶ Done
//!       │                   │  ╰──progress──╯        │                    │
//!       │                   ╰────────failure─────────┴──▶ Failed          │
//!       ╰─other──▶ NoProbe                 Probing ◀──recheck── Done/Failed
//! ```

use shared::{Report, ScanProgress, StreamEvent};

use crate::browser_view::BrowserSide;
use crate::history::Change;

use crate::badge::Badge;
use crate::page::{Page, Target};
use crate::probe::ProbeFailure;
use crate::view;

/// Where the popup is.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Nothing to probe: plain HTTP, a browser page, an unknown URL.
    NoProbe,
    /// Waiting for the probe. `shown` is the quick report, or the previous report while
    /// re-checking; `progress` the last progress event.
    Probing {
        shown: Option<Box<Report>>,
        /// `shown` is an earlier full report being re-checked, not a quick one.
        stale: bool,
        progress: Option<ScanProgress>,
    },
    /// The final report.
    Done { report: Box<Report> },
    /// The probe failed; `partial` is the quick report, if one came first.
    Failed {
        failure: ProbeFailure,
        partial: Option<Box<Report>>,
    },
}

/// Something that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A provisional report (`scan_mode` quick).
    Quick(Box<Report>),
    /// The full scan advanced.
    Progress(ScanProgress),
    /// The final report.
    Final(Box<Report>),
    /// The probe failed.
    Failed(ProbeFailure),
}

impl From<StreamEvent> for Event {
    fn from(event: StreamEvent) -> Self {
        match event {
            StreamEvent::Quick { report } => Self::Quick(report),
            StreamEvent::Progress(p) => Self::Progress(p),
            StreamEvent::Report { report } => Self::Final(report),
            StreamEvent::Error(error) => Self::Failed(ProbeFailure::from_status(
                error.error.http_status(),
                Some(error),
                None,
            )),
        }
    }
}

/// The popup: the page it was opened on, and where the probing is.
#[derive(Clone, Debug, PartialEq)]
pub struct Popup {
    pub page: Page,
    pub phase: Phase,
    /// What changed since the last visit to this site (from [`crate::history`]), and the
    /// time it was worked out at (for "3 days ago").
    pub changes: Vec<Change>,
    pub now_ms: u64,
    /// This browser's own connection to the page (Firefox), for the comparison.
    pub browser_side: BrowserSide,
}

impl Popup {
    /// The popup as it opens on `page`: probing right away when the page is https.
    pub fn open(page: Page) -> Self {
        let phase = if page.target().is_some() {
            Phase::Probing {
                shown: None,
                stale: false,
                progress: None,
            }
        } else {
            Phase::NoProbe
        };
        Self {
            page,
            phase,
            changes: Vec::new(),
            now_ms: 0,
            browser_side: BrowserSide::Unknown,
        }
    }

    /// What the history says about the final report on screen.
    pub fn set_changes(&mut self, changes: Vec<Change>, now_ms: u64) {
        self.changes = changes;
        self.now_ms = now_ms;
    }

    /// The probe target, when there is one.
    pub fn target(&self) -> Option<&Target> {
        self.page.target()
    }

    /// The scan is still running.
    pub fn is_probing(&self) -> bool {
        matches!(self.phase, Phase::Probing { .. })
    }

    /// Moves on. Events that come too late (a quick report after the final one, anything
    /// after a failure) change nothing.
    pub fn apply(&mut self, event: Event) {
        let Phase::Probing {
            shown,
            stale,
            progress,
        } = &mut self.phase
        else {
            return;
        };
        match event {
            Event::Quick(report) => {
                *shown = Some(report);
                *stale = false;
            }
            Event::Progress(p) => *progress = Some(p),
            Event::Final(report) => self.phase = Phase::Done { report },
            Event::Failed(failure) => {
                let partial = if *stale { None } else { shown.take() };
                self.phase = Phase::Failed { failure, partial };
            }
        }
    }

    /// Starts over for the Re-check button, keeping the last report on screen meanwhile.
    /// Returns false when there is nothing to re-check.
    pub fn recheck(&mut self) -> bool {
        if self.target().is_none() {
            return false;
        }
        let previous = match std::mem::replace(&mut self.phase, Phase::NoProbe) {
            Phase::Done { report } => Some(report),
            Phase::Failed { partial, .. } => partial,
            Phase::Probing { shown, .. } => shown,
            Phase::NoProbe => None,
        };
        self.phase = Phase::Probing {
            stale: previous.is_some(),
            shown: previous,
            progress: None,
        };
        true
    }

    /// The report on screen, if any.
    pub fn report(&self) -> Option<&Report> {
        match &self.phase {
            Phase::Done { report } => Some(report),
            Phase::Probing { shown, .. } => shown.as_deref(),
            Phase::Failed { partial, .. } => partial.as_deref(),
            Phase::NoProbe => None,
        }
    }

    /// The tab's badge in this state; `None` clears it.
    pub fn badge(&self, probe: &str) -> Option<Badge> {
        if let Page::PlainHttp { host } = &self.page {
            return Some(Badge::plain_http(host));
        }
        let site = self.target()?.label();
        Some(match &self.phase {
            Phase::NoProbe => return None,
            Phase::Probing { .. } => Badge::probing(&site),
            Phase::Done { report } => {
                let badge = Badge::grade(report.grade, &site, &view::verdict(report));
                match self.changes.iter().find_map(|c| match c {
                    Change::GradeFell { from, .. } => Some(*from),
                    _ => None,
                }) {
                    Some(from) => badge.dropped(from),
                    None => badge,
                }
            }
            Phase::Failed { failure, .. } => {
                Badge::error(&site, &failure.describe(probe, &site).title)
            }
        })
    }

    /// Notes about the target that the person should keep in mind.
    pub fn notes(&self) -> Vec<String> {
        let Some(target) = self.target() else {
            return Vec::new();
        };
        let mut notes = Vec::new();
        if target.is_ip() {
            notes.push(
                "This site is reached by IP address: no name is sent (SNI), and certificates \
                 rarely name addresses."
                    .to_owned(),
            );
        }
        if target.is_non_default_port() {
            notes.push(format!(
                "Port {}: the grade is for this port only, not the site's usual port 443.",
                target.port
            ));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use shared::{ApiError, ErrorCode};

    use super::*;
    use crate::view::tests::fixture;

    fn https() -> Popup {
        Popup::open(Page::classify(Some("https://bad.test/")))
    }

    fn boxed(name: &str) -> Box<Report> {
        Box::new(fixture(name))
    }

    #[test]
    fn https_pages_probe_and_finish() {
        let mut popup = https();
        assert!(popup.is_probing());
        assert_eq!(popup.badge("p").map(|b| b.text).as_deref(), Some("…"));
        assert!(popup.report().is_none());

        popup.apply(Event::Quick(boxed("quick-provisional")));
        assert_eq!(
            popup.report().map(|r| r.scan_mode),
            Some(shared::ScanMode::Quick)
        );
        popup.apply(Event::Progress(ScanProgress {
            step: "protocols".into(),
            done: 1,
            total: 4,
        }));
        assert!(matches!(
            &popup.phase,
            Phase::Probing { progress: Some(p), shown: Some(_), .. } if p.done == 1
        ));
        popup.apply(Event::Final(boxed("self-signed")));
        assert!(!popup.is_probing());
        assert_eq!(popup.badge("p").map(|b| b.text).as_deref(), Some("T"));

        // A late quick report changes nothing.
        popup.apply(Event::Quick(boxed("quick-provisional")));
        assert_eq!(popup.report().map(|r| r.grade), Some(shared::Grade::T));
    }

    #[test]
    fn failures_keep_the_quick_report() {
        let mut popup = https();
        popup.apply(Event::Quick(boxed("quick-provisional")));
        popup.apply(Event::Failed(ProbeFailure::ClientTimeout));
        assert!(matches!(
            &popup.phase,
            Phase::Failed {
                failure: ProbeFailure::ClientTimeout,
                partial: Some(_)
            }
        ));
        assert_eq!(popup.badge("p").map(|b| b.text).as_deref(), Some("ERR"));
    }

    #[test]
    fn stream_errors_become_api_failures() {
        let event = Event::from(StreamEvent::Error(ApiError {
            error: ErrorCode::TargetForbidden,
            message: "loopback".into(),
        }));
        let Event::Failed(failure) = event else {
            panic!("an error event fails the popup");
        };
        assert_eq!(failure.code(), Some(ErrorCode::TargetForbidden));
        assert!(matches!(failure, ProbeFailure::Api { status: 403, .. }));
        let quick = StreamEvent::Quick {
            report: boxed("quick-provisional"),
        };
        assert!(matches!(Event::from(quick), Event::Quick(_)));
    }

    #[test]
    fn recheck_keeps_the_old_report_on_screen() {
        let mut popup = https();
        popup.apply(Event::Final(boxed("expired-cert")));
        assert!(popup.recheck());
        assert!(matches!(
            &popup.phase,
            Phase::Probing {
                stale: true,
                shown: Some(_),
                progress: None
            }
        ));
        // A failed re-check does not pass off the old report as the partial result.
        popup.apply(Event::Failed(ProbeFailure::StreamEnded));
        assert!(matches!(&popup.phase, Phase::Failed { partial: None, .. }));
    }

    #[test]
    fn pages_without_tls_are_not_probed() {
        let plain = Popup::open(Page::classify(Some("http://plain.test/")));
        assert_eq!(plain.phase, Phase::NoProbe);
        assert_eq!(plain.badge("p").map(|b| b.text).as_deref(), Some("HTTP"));
        let mut chrome = Popup::open(Page::classify(Some("chrome://newtab/")));
        assert_eq!(chrome.badge("p"), None);
        assert!(!chrome.recheck());
        assert_eq!(Popup::open(Page::Unknown).phase, Phase::NoProbe);
    }

    #[test]
    fn ip_and_port_notes() {
        let popup = Popup::open(Page::classify(Some("https://192.0.2.7:8443/")));
        let notes = popup.notes();
        assert_eq!(notes.len(), 2);
        assert!(notes[0].contains("IP address"));
        assert!(notes[1].starts_with("Port 8443"));
        assert!(https().notes().is_empty());
    }
}
