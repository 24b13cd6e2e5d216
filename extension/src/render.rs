//! The popup's content for each state, as a [`ui::El`] tree. No browser needed: the tests
//! below read the tree as a person would read the popup.
//!
//! Actions (`data-action`): `recheck`, `options`, `copy` (with `data-copy`). Collapsible parts
//! are `<details>` with a `data-key`, so the glue can keep them open across re-renders.

use shared::{Grade, Report, ScanProgress};

use crate::browser_view::{self, BrowserSide, Comparison};
use crate::history::{self, Change, History};
use crate::page::{BrowserPageKind, Page};
use crate::popup::{Phase, Popup};
use crate::probe::{FailureText, Remedy};
use crate::ui::{El, el};
use crate::view::{CapLine, Fact, Padlock, ReportView, Tone, profile_verdict};

/// The page that shows the full JSON report, relative to the popup.
pub const REPORT_PAGE: &str = "report.html";

/// The popup's content.
pub fn popup(state: &Popup, probe_url: &str) -> El {
    let root = el("div").class("popup");
    match (&state.page, &state.phase) {
        (Page::PlainHttp { host }, _) => root.children(plain_http(host)),
        (Page::Browser(kind), _) => root.children(browser_page(*kind)),
        (Page::Unknown, _) => root.children(no_site(
            "Nothing to check here",
            "The browser does not show extensions this tab's address: it is one of the \
             browser's own pages or its add-on store, with no web server's TLS to check. On \
             a web page, click the toolbar icon to check its site.",
        )),
        (Page::Unsupported { scheme }, _) => root.children(no_site(
            "Only https:// sites can be checked",
            &format!("This tab shows a {scheme}: address, which has no TLS server to check."),
        )),
        (Page::Https(target), phase) => {
            let site = target.label();
            let mut parts = Vec::new();
            let report = state.report();
            parts.push(match report {
                Some(r) => report_header(&site, &ReportView::new(r)),
                None => pending_header(&site, phase),
            });
            if let Phase::Probing {
                progress, stale, ..
            } = phase
            {
                parts.push(progress_line(&site, progress.as_ref(), *stale, report));
            }
            if let Phase::Failed { failure, .. } = phase {
                parts.push(failure_box(&failure.describe(probe_url, &site)));
            }
            parts.extend(
                state
                    .notes()
                    .into_iter()
                    .map(|n| el("p").class("note").text(n)),
            );
            if let Some(r) = report
                && let Some(warning) = interception_warning(&state.browser_side, r, &site)
            {
                parts.push(warning);
            }
            if report.is_some() && !state.changes.is_empty() {
                parts.push(changes(&state.changes, state.now_ms));
            }
            if let Some(r) = report {
                parts.extend(report_body(r, &ReportView::new(r)));
                parts.push(browser_connection(&state.browser_side, r));
            }
            parts.push(actions(state, &site));
            root.children(parts)
        }
    }
}

fn padlock_icon(kind: &str) -> El {
    el("span")
        .class(format!("padlock padlock-{kind}"))
        .attr("aria-hidden", "true")
}

fn header(tone: Tone, icon: &str, site: &str, status: &str, grade: Option<&str>) -> El {
    let grade_box = match grade {
        Some(g) => el("div")
            .class("grade")
            .attr("role", "img")
            .attr("aria-label", format!("Grade {g}"))
            .text(g),
        None => el("div")
            .class("grade grade-pending")
            .attr("aria-hidden", "true")
            .child(el("span").class("spinner")),
    };
    el("header")
        .class(format!("head {}", tone.class()))
        .child(padlock_icon(icon))
        .child(
            el("div")
                .class("site")
                .child(el("h1").class("host").attr("title", site).text(site))
                .child(el("p").class("status").text(status)),
        )
        .child(grade_box)
}

fn report_header(site: &str, view: &ReportView) -> El {
    let icon = match view.padlock {
        Padlock::Secure => "secure",
        Padlock::Weak => "weak",
        Padlock::Broken => "broken",
    };
    let grade = view.grade.as_str();
    let mut head = header(view.tone, icon, site, view.padlock.label(), Some(grade));
    if view.provisional.is_some() {
        // The grade box is the last child but the verdict: mark it provisional.
        if let Some(crate::ui::Node::El(grade_box)) = head.children.last_mut() {
            grade_box
                .attrs
                .retain(|(n, _)| *n != "class" && *n != "aria-label");
            grade_box
                .attrs
                .push(("class", "grade provisional".to_owned()));
            grade_box
                .attrs
                .push(("aria-label", format!("Provisional grade {grade}")));
            grade_box
                .attrs
                .push(("title", "Provisional: the full scan is not done".to_owned()));
        }
    }
    head.children.push(crate::ui::Node::El(
        el("p").class("verdict").text(view.verdict.clone()),
    ));
    head
}

fn pending_header(site: &str, phase: &Phase) -> El {
    let status = match phase {
        Phase::Failed { .. } => "Not checked",
        _ => "Checking…",
    };
    let tone = Tone::Neutral;
    let mut head = header(tone, "pending", site, status, None);
    if matches!(phase, Phase::Failed { .. }) {
        head = header(tone, "pending", site, status, Some("?"));
    }
    head
}

fn progress_line(
    site: &str,
    progress: Option<&ScanProgress>,
    stale: bool,
    shown: Option<&Report>,
) -> El {
    let label = match (progress, stale, shown) {
        (Some(p), _, _) => format!(
            "Full scan: {} of {} steps done (last: {})",
            p.done,
            p.total,
            p.step.replace('-', " ")
        ),
        (None, true, _) => {
            "Re-checking… the previous result stays until the new one is in.".to_owned()
        }
        (None, false, Some(_)) => "Quick check done; the full scan is running…".to_owned(),
        (None, false, None) => format!("Asking the probe about {site}…"),
    };
    let bar = match progress {
        Some(p) if p.total > 0 => el("progress")
            .attr("max", p.total.to_string())
            .attr("value", p.done.min(p.total).to_string()),
        _ => el("progress"),
    };
    el("div")
        .class("progress")
        .attr("role", "status")
        .attr("aria-live", "polite")
        .child(bar.attr("aria-label", "Scan progress"))
        .child(el("span").text(label))
}

fn failure_box(text: &FailureText) -> El {
    let button = match text.remedy {
        Remedy::OpenOptions => Some(button("options", "Open options")),
        Remedy::Retry | Remedy::None => None,
    };
    el("section")
        .class("failure")
        .attr("role", "alert")
        .child(el("h2").text(text.title.clone()))
        .child(el("p").text(text.body.clone()))
        .maybe(button)
}

fn button(action: &str, label: &str) -> El {
    el("button")
        .attr("type", "button")
        .attr("data-action", action)
        .text(label)
}

fn facts(list: &[Fact]) -> El {
    let mut dl = el("dl").class("facts");
    for f in list {
        dl = dl.child(el("dt").text(f.label)).child(
            el("dd")
                .class(f.tone.map_or("", Tone::class))
                .text(f.value.clone()),
        );
    }
    dl
}

fn section(title: &str, class: &str) -> El {
    el("section")
        .class(class)
        .child(el("h2").text(title.to_owned()))
}

fn cap_item(cap: &CapLine) -> El {
    el("li")
        .child(el("span").class("cap-title").text(cap.title.clone()))
        .child(chip(cap.cap))
}

fn chip(cap: Grade) -> El {
    el("span")
        .class(format!("chip {}", Tone::of_grade(cap).class()))
        .text(format!("caps at {cap}"))
}

fn copy_button(value: &str, what: &str) -> El {
    el("button")
        .attr("type", "button")
        .class("copy")
        .attr("data-action", "copy")
        .attr("data-copy", value)
        .attr("aria-label", format!("Copy {what}"))
        .text("Copy")
}

/// What changed since the last visit (and an expiry that is close), first thing under the
/// verdict: it is news.
fn changes(list: &[Change], now_ms: u64) -> El {
    let since_last = list.iter().any(|c| !matches!(c, Change::Expires { .. }));
    let worse = list.iter().any(Change::is_worse);
    let title = if since_last {
        "Since your last visit"
    } else {
        "Worth knowing"
    };
    let class = if worse {
        "changes worse-box"
    } else {
        "changes"
    };
    section(title, class).child(el("ul").children(list.iter().map(|c| {
        el("li")
            .class(if c.is_worse() {
                "change worse"
            } else {
                "change"
            })
            .text(c.sentence(now_ms))
    })))
}

/// The prominent warning when this browser received another certificate than any the probe
/// saw for the name.
fn interception_warning(side: &BrowserSide, report: &Report, site: &str) -> Option<El> {
    let BrowserSide::Saw(saw) = side else {
        return None;
    };
    let Some(Comparison::OtherCertificate { issuer }) = browser_view::compare(saw, report) else {
        return None;
    };
    let issuer = issuer.as_deref().unwrap_or("an unnamed issuer");
    Some(
        el("section")
            .class("intercepted")
            .attr("role", "alert")
            .child(el("h2").text("This browser was shown another certificate than the site serves"))
            .child(el("p").text(format!(
                "The certificate this browser received for {site} was issued by {issuer}, and is \
                 none of those the probe saw for the name. A TLS interception proxy, antivirus, \
                 captive portal or a compromised network is between this browser and the site."
            ))),
    )
}

/// "This browser's connection": what Firefox negotiated, or how to get it.
fn browser_connection(side: &BrowserSide, report: &Report) -> El {
    let summary = el("summary").text("This browser\u{2019}s connection");
    let body: Vec<El> = match side {
        BrowserSide::Unknown => Vec::new(),
        BrowserSide::NeedsFirefox => vec![el("p").class("muted").text(
            "Comparing the probe\u{2019}s view with this browser\u{2019}s own connection needs \
             Firefox: Chromium gives extensions no access to the certificate a page was served \
             with.",
        )],
        BrowserSide::NeedsPermission => vec![
            el("p").text(
                "Firefox can show this add-on the certificate and cipher it negotiated for this \
                 site, to compare with what the probe saw: a different certificate means \
                 something intercepts your connection. That needs access to this site\u{2019}s \
                 requests; it is asked for this site only, kept in the browser, never sent.",
            ),
            button("grant", "Compare with this browser"),
        ],
        BrowserSide::NeedsReload => vec![el("p").text(
            "Reload the page, then open this popup again: Firefox shows its connection to pages \
             loaded after the permission was granted.",
        )],
        BrowserSide::Saw(saw) => {
            let same = matches!(browser_view::compare(saw, report), Some(Comparison::Same));
            let fact = |label: &'static str, value: &Option<String>| Fact {
                label,
                value: value.clone().unwrap_or_default(),
                tone: None,
            };
            let certificate = Fact {
                label: "Certificate",
                value: if same {
                    "the one the probe saw".to_owned()
                } else {
                    "another one (see above)".to_owned()
                },
                tone: Some(if same { Tone::Good } else { Tone::Bad }),
            };
            let mut out = vec![facts(&[
                fact("Protocol", &saw.protocol),
                fact("Cipher", &saw.cipher),
                fact("Key exchange", &saw.group),
                certificate,
            ])];
            if let Some(weaker) = browser_view::weaker_protocol(saw, report) {
                out.push(el("p").class("note").text(weaker));
            }
            out
        }
    };
    el("details")
        .class("browser-side")
        .attr("data-key", "browser-side")
        .child(summary)
        .children(body)
}

/// The options page's history: one row per site, most recently seen first.
pub fn history_list(history: &History, now_ms: u64) -> El {
    if history.sites.is_empty() {
        return el("p")
            .class("history-empty muted")
            .text("No site checked yet.");
    }
    let head = el("tr").children(
        ["Site", "Grade", "Seen", "Certificate until", "Findings"]
            .into_iter()
            .map(|h| el("th").text(h)),
    );
    let rows = history.sites().map(|s| {
        let v = &s.last;
        let grade = el("span")
            .class(format!("grade-chip {}", Tone::of_grade(v.grade).class()))
            .text(v.grade.as_str());
        let until = v
            .not_after
            .as_deref()
            .and_then(|d| d.get(..10))
            .unwrap_or("\u{2014}");
        el("tr")
            .class("history-row")
            .child(el("td").class("history-site").text(s.site.clone()))
            .child(el("td").child(grade))
            .child(el("td").text(history::ago(v.seen_ms, now_ms)))
            .child(el("td").text(until))
            .child(el("td").text(v.findings.len().to_string()))
    });
    el("table")
        .class("history")
        .child(el("thead").child(head))
        .child(el("tbody").children(rows))
}

fn report_body(report: &Report, view: &ReportView) -> Vec<El> {
    let mut parts = Vec::new();
    if let Some(note) = &view.provisional {
        parts.push(el("p").class("provisional-note").text(note.clone()));
    }
    if !view.trust_issues.is_empty() {
        let list = el("ul").children(view.trust_issues.iter().map(|i| el("li").text(i.clone())));
        parts.push(section("Why browsers warn", "trust tone-bad-box").child(list));
    }
    if !view.limiting_caps.is_empty() {
        let lift = view.grade_without_caps.map(|g| {
            el("p")
                .class("lift")
                .text(format!("Fix these and the grade rises to {g}."))
        });
        parts.push(
            section(&format!("What holds the grade at {}", view.grade), "caps")
                .child(el("ul").children(view.limiting_caps.iter().map(cap_item)))
                .maybe(lift),
        );
    }
    parts.push(section("Connection", "connection").child(facts(&view.connection)));
    if let Some(cert) = &view.certificate {
        let mut sec = section("Certificate", "certificate").child(facts(&cert.facts));
        if !cert.names.is_empty() {
            sec = sec.child(
                el("p")
                    .class("names")
                    .child(el("span").class("label").text("Names "))
                    .text(cert.names.join(", ")),
            );
        }
        sec = sec.child(chain(view));
        parts.push(sec);
    }
    parts.push(findings(view));
    if let Some(c) = &report.compliance {
        parts.push(compliance(c));
    }
    if !view.failing_clients.is_empty() {
        let items = view.failing_clients.iter().map(|c| {
            let name = el("span").class("client-name").text(c.client.clone());
            let tag = c
                .current
                .then(|| el("span").class("chip tone-bad").text("current browser"));
            el("li")
                .class(if c.current {
                    "client current"
                } else {
                    "client"
                })
                .child(el("div").class("client-line").child(name).maybe(tag))
                .child(el("p").class("client-reason").text(c.reason.clone()))
        });
        parts.push(
            section("Clients that cannot connect", "simulation").child(el("ul").children(items)),
        );
    }
    if !view.check_errors.is_empty() {
        parts.push(
            section("Checks that could not run", "errors").child(
                el("ul").children(view.check_errors.iter().map(|e| el("li").text(e.clone()))),
            ),
        );
    }
    parts.push(
        el("p")
            .class("scanned")
            .text(format!("{} · probe {}", view.scanned, report.probe_version)),
    );
    parts
}

fn chain(view: &ReportView) -> El {
    let items = view.chain.iter().map(|c| {
        el("li")
            .class(if c.expired { "cert expired" } else { "cert" })
            .child(
                el("p")
                    .class("cert-subject")
                    .child(el("span").class("role").text(c.role))
                    .text(c.subject.clone()),
            )
            .child(facts(&[
                Fact {
                    label: "Issuer",
                    value: c.issuer.clone(),
                    tone: None,
                },
                Fact {
                    label: "Valid",
                    value: c.validity.clone(),
                    tone: c.expired.then_some(Tone::Bad),
                },
                Fact {
                    label: "Key",
                    value: format!("{} · {}", c.key, c.signature),
                    tone: None,
                },
            ]))
            .child(fingerprint_row("SHA-256", &c.sha256, "SHA-256 fingerprint"))
            .child(fingerprint_row(
                "SPKI",
                &c.spki,
                "SPKI pin (SHA-256, base64)",
            ))
    });
    el("details")
        .class("chain")
        .attr("data-key", "chain")
        .child(el("summary").text(format!(
            "Certificate chain ({} sent by the server)",
            view.chain.len()
        )))
        .child(el("ol").children(items))
}

fn fingerprint_row(label: &'static str, value: &str, what: &str) -> El {
    el("div")
        .class("fp")
        .child(el("span").class("label").text(label))
        .child(el("code").text(value.to_owned()))
        .child(copy_button(value, what))
}

fn findings(view: &ReportView) -> El {
    let count = view.problem_count();
    let title = match count {
        0 => "Findings: nothing to fix".to_owned(),
        1 => "Findings: 1 to fix".to_owned(),
        n => format!("Findings: {n} to fix"),
    };
    let mut sec = section(&title, "findings");
    for group in &view.groups {
        sec = sec.child(
            el("h3")
                .class(format!("sev {}", group.tone.class()))
                .text(format!("{} ({})", group.label, group.items.len())),
        );
        for f in &group.items {
            let mut summary =
                el("summary").child(el("span").class("f-title").text(f.title.clone()));
            if let Some(cap) = f.cap {
                summary = summary.child(chip(cap));
            }
            if f.limiting {
                summary = summary.child(el("span").class("chip limiting").text("limits grade"));
            }
            let mut body = el("details")
                .class(format!("finding {}", group.tone.class()))
                .attr("data-key", format!("finding-{}", f.id))
                .child(summary)
                .child(el("p").text(f.detail.clone()));
            if !f.fix.is_empty() {
                body = body.child(
                    el("p")
                        .class("fix")
                        .child(el("strong").text("Fix: "))
                        .text(f.fix.clone()),
                );
            }
            if !f.cve.is_empty() {
                body = body.child(el("p").class("cve").text(f.cve.join(", ")));
            }
            sec = sec.child(body);
        }
    }
    if !view.other_caps.is_empty() {
        sec = sec.child(el("p").class("other-caps").text(format!(
                "Also capping, once the above is fixed: {}.",
                view.other_caps
                    .iter()
                    .map(|c| format!("{} ({})", c.title, c.cap))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
    }
    sec
}

/// One line per profile; a profile's deviations with their fixes (and what was not checked)
/// behind a disclosure, as findings are. One paragraph per item keeps the wasm small.
fn compliance(c: &shared::Compliance) -> El {
    let mut sec = section(&c.guideline, "compliance");
    for p in &c.profiles {
        let (verdict, tone) = profile_verdict(p);
        let mut item = el("details")
            .class(format!("finding profile {}", tone.class()))
            .attr("data-key", format!("compliance-{}", p.profile))
            .child(
                el("summary")
                    .child(el("span").class("f-title").text(p.profile.clone()))
                    .child(el("span").class("chip").text(verdict)),
            );
        for d in &p.deviations {
            item = item.child(el("p").text(format!("{}: {} Fix: {}", d.what, d.detail, d.fix)));
        }
        for n in &p.not_checked {
            item = item.child(el("p").text(format!("Not checked: {}: {}", n.what, n.detail)));
        }
        sec = sec.child(item);
    }
    sec
}

fn actions(state: &Popup, site: &str) -> El {
    let mut recheck = button("recheck", "Re-check");
    if state.is_probing() {
        recheck = recheck.attr("disabled", "");
    }
    let report_link = state.report().filter(|_| !state.is_probing()).map(|_| {
        el("a")
            .attr(
                "href",
                format!("{REPORT_PAGE}?site={}", site.replace(['[', ']'], "")),
            )
            .attr("target", "_blank")
            .attr("rel", "noopener")
            .text("Full JSON report")
    });
    el("footer")
        .class("actions")
        .child(recheck)
        .maybe(report_link)
        .child(button("options", "Options").class("quiet"))
}

fn no_site(title: &str, body: &str) -> Vec<El> {
    vec![
        header(
            Tone::Neutral,
            "pending",
            title,
            "Nothing to check",
            Some("–"),
        ),
        el("p").class("explain").text(body.to_owned()),
        el("footer")
            .class("actions")
            .child(button("options", "Options").class("quiet")),
    ]
}

fn plain_http(host: &str) -> Vec<El> {
    let mut head = header(Tone::Bad, "open", host, "Not encrypted", Some("HTTP"));
    head.children.push(crate::ui::Node::El(
        el("p").class("verdict").text("This page is not encrypted"),
    ));
    vec![
        head,
        el("p").class("explain").text(format!(
            "This page came over plain http://, without TLS: anyone on the network path can \
             read it and change it, including what you type. There is no certificate or \
             cipher to check. Try https://{host} if the site offers it."
        )),
        el("footer")
            .class("actions")
            .child(button("options", "Options").class("quiet")),
    ]
}

fn browser_page(kind: BrowserPageKind) -> Vec<El> {
    let (title, body) = match kind {
        BrowserPageKind::Internal => (
            "Browser page",
            "This is one of the browser's own pages. It does not come from a web server, so \
             there is no TLS connection to check.",
        ),
        BrowserPageKind::File => (
            "Local file",
            "This page is a file on this computer: nothing travels over the network, so there \
             is no TLS connection to check.",
        ),
        BrowserPageKind::Extension => (
            "Extension page",
            "This page belongs to an extension and is loaded from this computer: there is no \
             TLS connection to check.",
        ),
        BrowserPageKind::Store => (
            "Add-on store",
            "The browser protects its add-on store from extensions. Its connection is \
             checked by the browser itself.",
        ),
        BrowserPageKind::NoServer => (
            "No web server",
            "This page was made in the browser (data:, blob: or similar): there is no server \
             whose TLS could be checked.",
        ),
    };
    no_site(title, body)
}

#[cfg(test)]
mod tests {
    use shared::{ApiError, ErrorCode};

    use super::*;
    use crate::popup::Event;
    use crate::probe::ProbeFailure;
    use crate::view::tests::fixture;

    const PROBE: &str = "http://127.0.0.1:7443";

    fn done(name: &str) -> El {
        let mut state = Popup::open(Page::classify(Some("https://bad.test/")));
        state.apply(Event::Final(Box::new(fixture(name))));
        popup(&state, PROBE)
    }

    fn text_of(tree: &El, class: &str) -> String {
        tree.find_class(class)
            .map(El::text_content)
            .unwrap_or_default()
    }

    fn actions_of(tree: &El) -> Vec<&str> {
        tree.descendants()
            .into_iter()
            .filter_map(|e| e.get_attr("data-action"))
            .collect()
    }

    #[test]
    fn changes_since_the_last_visit_come_first_and_the_badge_marks_a_drop() {
        let mut history = crate::history::History::default();
        let now = 1_800_000_000_000;
        history.record("bad.test", &fixture("strong-a-plus"), now - 3 * 86_400_000);
        let mut legacy = fixture("legacy-tls10-3des");
        legacy.scanned_at = "2030-01-01T00:00:00Z".to_owned();
        let changes = history.record("bad.test", &legacy, now);
        let mut state = Popup::open(Page::classify(Some("https://bad.test/")));
        state.apply(Event::Final(Box::new(legacy)));
        state.set_changes(changes, now);
        let tree = popup(&state, PROBE);
        let text = text_of(&tree, "changes");
        assert!(text.starts_with("Since your last visit"), "{text}");
        assert!(text.contains("Grade fell from A+ to C: "), "{text}");
        assert!(
            text.contains("New certificate since your visit 3 days ago."),
            "{text}"
        );
        assert!(
            tree.find_class("changes")
                .is_some_and(|c| c.has_class("worse-box"))
        );
        let badge = state.badge(PROBE).expect("a badge");
        assert_eq!(badge.text, "C\u{2193}");
        assert!(badge.title.contains("fell from A+"), "{}", badge.title);
        // The options page lists it.
        let list = history_list(&history, now);
        let rows = list.text_content();
        assert!(
            rows.contains("bad.test") && rows.contains("less than an hour ago"),
            "{rows}"
        );
        assert_eq!(
            history_list(&crate::history::History::default(), now).text_content(),
            "No site checked yet."
        );
    }

    #[test]
    fn another_leaf_in_the_browser_is_a_prominent_warning_naming_its_issuer() {
        use crate::browser_view::{BrowserSaw, BrowserSide};
        let report = fixture("strong-a-plus");
        let mut state = Popup::open(Page::classify(Some("https://strong.test/")));
        state.apply(Event::Final(Box::new(report.clone())));
        state.browser_side = BrowserSide::NeedsFirefox;
        let tree = popup(&state, PROBE);
        assert!(tree.find_class("intercepted").is_none());
        assert!(text_of(&tree, "browser-side").contains("needs Firefox"));
        state.browser_side = BrowserSide::NeedsPermission;
        assert!(actions_of(&popup(&state, PROBE)).contains(&"grant"));
        let saw = BrowserSaw {
            site: "strong.test".to_owned(),
            protocol: Some("TLSv1.2".to_owned()),
            leaf_sha256: Some("00".repeat(32)),
            issuer: Some("CN=Corporate Inspection CA".to_owned()),
            ..BrowserSaw::default()
        };
        state.browser_side = BrowserSide::Saw(saw.clone());
        let tree = popup(&state, PROBE);
        let warning = text_of(&tree, "intercepted");
        assert!(
            warning.contains("issued by CN=Corporate Inspection CA"),
            "{warning}"
        );
        assert!(text_of(&tree, "browser-side").contains("negotiated TLSv1.2"));
        state.browser_side = BrowserSide::Saw(BrowserSaw {
            leaf_sha256: Some(report.certificates[0].sha256_fingerprint.clone()),
            ..saw
        });
        let tree = popup(&state, PROBE);
        assert!(tree.find_class("intercepted").is_none());
        assert!(text_of(&tree, "browser-side").contains("the one the probe saw"));
    }

    #[test]
    fn a_strong_site() {
        let tree = done("strong-a-plus");
        assert_eq!(text_of(&tree, "grade"), "A+");
        assert_eq!(text_of(&tree, "verdict"), "Strong TLS");
        assert_eq!(text_of(&tree, "status"), "Secure connection");
        assert!(
            tree.find_class("head")
                .is_some_and(|h| h.has_class("tone-good"))
        );
        assert!(text_of(&tree, "findings").contains("nothing to fix"));
        assert!(tree.find_class("caps").is_none());
        assert!(text_of(&tree, "actions").contains("Full JSON report"));
    }

    #[test]
    fn an_expired_certificate() {
        let tree = done("expired-cert");
        assert_eq!(text_of(&tree, "grade"), "T");
        assert_eq!(text_of(&tree, "verdict"), "Certificate expired 3 days ago");
        assert!(text_of(&tree, "trust").contains("expired on 2026-11-23"));
        let caps = text_of(&tree, "caps");
        assert!(caps.starts_with("What holds the grade at T"), "{caps}");
        assert!(
            caps.ends_with("Fix these and the grade rises to A."),
            "{caps}"
        );
        let copies = tree
            .descendants()
            .into_iter()
            .filter(|e| e.get_attr("data-action") == Some("copy"))
            .count();
        assert_eq!(copies, 4, "SHA-256 and SPKI of both certificates");
        assert!(tree.find_class("chain").is_some_and(|c| c.tag == "details"));
    }

    #[test]
    fn a_legacy_server_shows_what_caps_it() {
        let tree = done("legacy-tls10-3des");
        assert_eq!(text_of(&tree, "grade"), "C");
        let caps = text_of(&tree, "caps");
        assert!(caps.contains("What holds the grade at C"), "{caps}");
        assert!(caps.contains("rises to B"), "{caps}");
        assert!(caps.contains("Accepts 3DES"));
        let findings = text_of(&tree, "findings");
        assert!(findings.starts_with("Findings: 11 to fix"), "{findings}");
        assert!(findings.contains("Accepts obsolete TLS 1.0caps at B"));
        assert!(findings.contains("Fix: Disable TLS 1.0 and 1.1"));
        assert!(text_of(&tree, "other-caps").contains("TLS 1.0"));
        assert!(
            tree.find_class("head")
                .is_some_and(|h| h.has_class("tone-warn"))
        );
    }

    #[test]
    fn compliance_is_one_line_per_profile_with_deviations_behind_a_disclosure() {
        let tree = done("full-intermediate");
        let section = tree.find_class("compliance").expect("a compliance section");
        assert!(section.text_content().starts_with("TLSRef 6.0"));
        let profiles = section.find_all_class("profile");
        assert_eq!(profiles.len(), 2);
        let modern = profiles[0];
        assert_eq!(modern.tag, "details");
        assert_eq!(modern.get_attr("data-key"), Some("compliance-modern"));
        assert!(modern.has_class("tone-warn"));
        let text = modern.text_content();
        assert!(text.starts_with("modern2 deviations"), "{text}");
        assert!(
            text.contains(
                "tls-version: offers TLS 1.2; the profile allows TLS 1.3 Fix: Enable only TLS \
                 1.3 (nginx: ssl_protocols TLSv1.3;)."
            ),
            "{text}"
        );
        let intermediate = profiles[1];
        assert_eq!(intermediate.text_content(), "intermediatecompliant");
        assert!(intermediate.has_class("tone-good"));
        assert!(done("strong-a-plus").find_class("compliance").is_none());
    }

    #[test]
    fn probing_is_never_blank() {
        let mut state = Popup::open(Page::classify(Some("https://bad.test:8443/")));
        let tree = popup(&state, PROBE);
        assert_eq!(text_of(&tree, "host"), "bad.test:8443");
        assert!(text_of(&tree, "progress").contains("Asking the probe"));
        assert!(text_of(&tree, "note").starts_with("Port 8443"));
        assert!(
            tree.descendants()
                .iter()
                .any(|e| e.get_attr("data-action") == Some("recheck")
                    && e.get_attr("disabled").is_some())
        );

        state.apply(Event::Quick(Box::new(fixture("quick-provisional"))));
        let tree = popup(&state, PROBE);
        assert_eq!(text_of(&tree, "grade"), "A");
        assert!(
            tree.find_class("grade")
                .is_some_and(|g| g.has_class("provisional"))
        );
        assert!(text_of(&tree, "provisional-note").starts_with("Provisional"));
        assert!(text_of(&tree, "progress").contains("full scan is running"));

        state.apply(Event::Progress(ScanProgress {
            step: "cipher-suites".into(),
            done: 2,
            total: 4,
        }));
        let tree = popup(&state, PROBE);
        assert!(text_of(&tree, "progress").contains("2 of 4 steps done (last: cipher suites)"));
        assert!(!text_of(&tree, "actions").contains("JSON"));
    }

    #[test]
    fn failures_say_why_and_what_to_do() {
        let mut state = Popup::open(Page::classify(Some("https://bad.test/")));
        state.apply(Event::Failed(ProbeFailure::Unreachable {
            detail: "Failed to fetch".into(),
        }));
        let tree = popup(&state, PROBE);
        assert!(text_of(&tree, "failure").contains("Cannot reach the probe server"));
        assert!(actions_of(tree.find_class("failure").expect("failure box")).contains(&"options"));
        assert_eq!(text_of(&tree, "grade"), "?");

        let mut state = Popup::open(Page::classify(Some("https://bad.test/")));
        state.apply(Event::Failed(ProbeFailure::from_status(
            403,
            Some(ApiError {
                error: ErrorCode::TargetForbidden,
                message: "bad.test resolves to 127.0.0.1, a loopback address.".into(),
            }),
            None,
        )));
        let tree = popup(&state, PROBE);
        let failure = text_of(&tree, "failure");
        assert!(failure.contains("refused"));
        assert!(failure.contains("loopback address"));
    }

    #[test]
    fn pages_without_tls() {
        let plain = popup(
            &Popup::open(Page::classify(Some("http://plain.test/"))),
            PROBE,
        );
        assert_eq!(text_of(&plain, "verdict"), "This page is not encrypted");
        assert_eq!(text_of(&plain, "host"), "plain.test");
        assert!(
            plain
                .find_class("head")
                .is_some_and(|h| h.has_class("tone-bad"))
        );

        for (url, title) in [
            ("chrome://settings/", "Browser page"),
            ("file:///tmp/a.html", "Local file"),
            ("https://chromewebstore.google.com/", "Add-on store"),
            ("ftp://x/", "Only https:// sites can be checked"),
        ] {
            let tree = popup(&Popup::open(Page::classify(Some(url))), PROBE);
            assert_eq!(text_of(&tree, "host"), title, "{url}");
            assert!(!text_of(&tree, "explain").is_empty());
        }
        let unknown = popup(&Popup::open(Page::Unknown), PROBE);
        assert_eq!(text_of(&unknown, "host"), "Nothing to check here");
    }
}
