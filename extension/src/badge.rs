//! The toolbar badge: the grade of the tab's site, `…` while probing, `ERR` on failure.

use shared::Grade;

use crate::view::Tone;

/// What the badge of one tab shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Badge {
    /// At most 4 characters (the badge has room for no more).
    pub text: String,
    /// CSS colour of the background.
    pub colour: &'static str,
    /// The tooltip of the toolbar button.
    pub title: String,
}

/// The text shown while probing.
pub const PROBING_TEXT: &str = "…";
/// The text shown when the probe failed.
pub const ERROR_TEXT: &str = "ERR";
/// The default tooltip.
pub const DEFAULT_TITLE: &str = "TLS Probe: check this site's TLS";

const PROBING_COLOUR: &str = "#0969da";

impl Badge {
    /// The badge for a finished report.
    pub fn grade(grade: Grade, site: &str, verdict: &str) -> Self {
        Self {
            text: grade.as_str().to_owned(),
            colour: Tone::of_grade(grade).badge_colour(),
            title: format!("TLS Probe: {site} graded {grade}: {verdict}"),
        }
    }

    /// The grade badge of a site whose grade fell since the last visit (from `from`): an
    /// arrow after the grade, and the tooltip says so.
    #[must_use]
    pub fn dropped(mut self, from: Grade) -> Self {
        self.text.push('\u{2193}');
        self.title = format!("{} (fell from {from} since the last visit)", self.title);
        self
    }

    /// The badge while the probe works.
    pub fn probing(site: &str) -> Self {
        Self {
            text: PROBING_TEXT.to_owned(),
            colour: PROBING_COLOUR,
            title: format!("TLS Probe: checking {site}…"),
        }
    }

    /// The badge when the probe failed.
    pub fn error(site: &str, reason: &str) -> Self {
        Self {
            text: ERROR_TEXT.to_owned(),
            colour: Tone::Neutral.badge_colour(),
            title: format!("TLS Probe: could not check {site}: {reason}"),
        }
    }

    /// The badge of a plain-HTTP page: not encrypted at all.
    pub fn plain_http(site: &str) -> Self {
        Self {
            text: "HTTP".to_owned(),
            colour: Tone::Bad.badge_colour(),
            title: format!("TLS Probe: {site} is not encrypted"),
        }
    }
}

/// What the browser lets the service worker see of a tab that navigates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlSight {
    /// Chromium: `activeTab` lasts while the tab stays on the site, so a hidden URL means
    /// the tab went elsewhere.
    WhileOnSite,
    /// Firefox: `activeTab` is tied to the document, so even a reload hides the URL. A hidden
    /// URL is then read as the same tab still on the site the popup saw (the badge names that
    /// site in its tooltip), and a visible one of another site clears it.
    WhileOnDocument,
}

/// Whether a tab's badge stays when the tab starts loading `new_url`, given the site whose
/// grade it shows. The badge stays while the tab stays on that same https site (a reload, a
/// link within the site); any other visible site clears it; a hidden URL is read as
/// [`UrlSight`] says.
pub fn keep_on_navigation(badge_site: &str, new_url: Option<&str>, sight: UrlSight) -> bool {
    if new_url.is_none() {
        return sight == UrlSight::WhileOnDocument;
    }
    match crate::page::Page::classify(new_url) {
        crate::page::Page::Https(target) => target.label() == badge_site,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge_text_and_colour_per_grade() {
        for (grade, text, colour) in [
            (Grade::APlus, "A+", "#1a7f37"),
            (Grade::A, "A", "#1a7f37"),
            (Grade::AMinus, "A-", "#1a7f37"),
            (Grade::B, "B", "#9a6700"),
            (Grade::C, "C", "#9a6700"),
            (Grade::F, "F", "#cf222e"),
            (Grade::T, "T", "#cf222e"),
            (Grade::M, "M", "#cf222e"),
        ] {
            let badge = Badge::grade(grade, "bad.test", "x");
            assert_eq!(badge.text, text);
            assert_eq!(badge.colour, colour);
            assert!(badge.text.chars().count() <= 4);
        }
        assert_eq!(Badge::probing("a").text, "…");
        assert_eq!(Badge::error("a", "down").text, "ERR");
        assert!(Badge::error("a", "down").title.contains("down"));
    }

    #[test]
    fn navigation_resets_the_badge_unless_the_site_stays() {
        for sight in [UrlSight::WhileOnSite, UrlSight::WhileOnDocument] {
            assert!(keep_on_navigation(
                "bad.test",
                Some("https://bad.test/other"),
                sight
            ));
            assert!(keep_on_navigation(
                "bad.test:8443",
                Some("https://bad.test:8443/"),
                sight
            ));
            assert!(!keep_on_navigation(
                "bad.test",
                Some("https://good.test/"),
                sight
            ));
            assert!(!keep_on_navigation(
                "bad.test",
                Some("http://bad.test/"),
                sight
            ));
        }
        // Chromium hides the URL once the tab left the site; Firefox on every new document,
        // a reload included.
        assert!(!keep_on_navigation("bad.test", None, UrlSight::WhileOnSite));
        assert!(keep_on_navigation(
            "bad.test",
            None,
            UrlSight::WhileOnDocument
        ));
    }
}
