//! What kind of page the current tab shows, and so what the popup can say about it.
//!
//! The tab's URL is classified without a URL library (the `url` crate would add IDNA tables
//! to the wasm): browsers hand us normalised URLs whose host is already lowercase ASCII
//! (punycode for IDNs), so a small parser is enough.

use std::fmt;
use std::net::IpAddr;

/// The default port of `https://`.
pub const HTTPS_PORT: u16 = 443;

/// A TLS endpoint to ask the probe about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// Lowercase host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl Target {
    /// A target; the host is lowercased and IPv6 brackets are removed.
    pub fn new(host: &str, port: u16) -> Self {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Self {
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            port,
        }
    }

    /// The host is an IP address rather than a name.
    pub fn is_ip(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }

    /// The port is not the default 443.
    pub fn is_non_default_port(&self) -> bool {
        self.port != HTTPS_PORT
    }

    /// `host`, `host:port` when the port is not 443, `[v6]:port` for IPv6. (Built by hand:
    /// `Display` would bring the formatting machinery into more of the wasm.)
    pub fn label(&self) -> String {
        if !self.is_non_default_port() {
            return self.host.clone();
        }
        let mut out = String::with_capacity(self.host.len() + 8);
        let v6 = self.host.contains(':');
        if v6 {
            out.push('[');
        }
        out.push_str(&self.host);
        if v6 {
            out.push(']');
        }
        out.push(':');
        out.push_str(&self.port.to_string());
        out
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Pages the browser keeps to itself: no site, nothing to probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserPageKind {
    /// chrome://, edge://, about:, view-source:, ... : the browser's own pages.
    Internal,
    /// A local file (`file:`).
    File,
    /// An extension's own page (chrome-extension://, moz-extension://).
    Extension,
    /// The browser's add-on store, where extensions are not allowed to act.
    Store,
    /// data:, blob:, javascript: and other pages with no server behind them.
    NoServer,
}

/// What the current tab shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// An `https://` page: the probe can judge its server.
    Https(Target),
    /// An `http://` page: nothing is encrypted.
    PlainHttp { host: String },
    /// A page of the browser itself, a file, or similar.
    Browser(BrowserPageKind),
    /// The extension was not told the tab's URL (no permission for it yet).
    Unknown,
    /// A URL this extension does not understand (ftp:, ws:, ...).
    Unsupported { scheme: String },
}

const STORE_HOSTS: &[(&str, &str)] = &[
    ("chromewebstore.google.com", ""),
    ("chrome.google.com", "/webstore"),
    ("microsoftedge.microsoft.com", "/addons"),
    ("addons.mozilla.org", ""),
];

impl Page {
    /// Classifies a tab's URL; `None` (or an empty string) when the browser did not tell it.
    pub fn classify(url: Option<&str>) -> Self {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Self::Unknown;
        };
        let Some((scheme, rest)) = url.split_once(':') else {
            return Self::Unsupported {
                scheme: String::new(),
            };
        };
        let scheme = scheme.to_ascii_lowercase();
        match scheme.as_str() {
            "https" | "http" => {}
            "file" => return Self::Browser(BrowserPageKind::File),
            "chrome-extension" | "moz-extension" | "extension" | "safari-web-extension" => {
                return Self::Browser(BrowserPageKind::Extension);
            }
            "chrome" | "edge" | "brave" | "opera" | "vivaldi" | "about" | "view-source"
            | "devtools" | "chrome-search" | "chrome-untrusted" | "resource" => {
                return Self::Browser(BrowserPageKind::Internal);
            }
            "data" | "blob" | "javascript" => return Self::Browser(BrowserPageKind::NoServer),
            _ => return Self::Unsupported { scheme },
        }
        let Some(authority_and_path) = rest.strip_prefix("//") else {
            return Self::Unsupported { scheme };
        };
        let end = authority_and_path
            .find(['/', '?', '#'])
            .unwrap_or(authority_and_path.len());
        let Some((authority, path)) = authority_and_path.split_at_checked(end) else {
            return Self::Unsupported { scheme };
        };
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let Some((host, port)) = split_host_port(host_port) else {
            return Self::Unsupported { scheme };
        };
        if host.is_empty() {
            return Self::Unsupported { scheme };
        }
        let https = scheme == "https";
        let port = port.unwrap_or(if https { HTTPS_PORT } else { 80 });
        let target = Target::new(host, port);
        let path = path.to_ascii_lowercase();
        if STORE_HOSTS
            .iter()
            .any(|(h, p)| target.host == *h && path.starts_with(p))
        {
            return Self::Browser(BrowserPageKind::Store);
        }
        if https {
            Self::Https(target)
        } else if port == 80 {
            // Shown without the port, like the browser shows it.
            Self::PlainHttp {
                host: Target::new(host, HTTPS_PORT).label(),
            }
        } else {
            Self::PlainHttp {
                host: target.label(),
            }
        }
    }

    /// The probe target, for pages the probe can judge.
    pub fn target(&self) -> Option<&Target> {
        match self {
            Self::Https(t) => Some(t),
            _ => None,
        }
    }
}

/// Splits `host[:port]` or `[v6][:port]`; `None` when the port is not a number.
fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        (v6, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    match port {
        None | Some("") => Some((host, None)),
        Some(p) => p.parse().ok().map(|p| (host, Some(p))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn https(host: &str, port: u16) -> Page {
        Page::Https(Target::new(host, port))
    }

    #[test]
    fn https_pages_become_targets() {
        assert_eq!(
            Page::classify(Some("https://Example.COM/path?q=1#x")),
            https("example.com", 443)
        );
        assert_eq!(
            Page::classify(Some("https://user:pw@bad.test:8443/")),
            https("bad.test", 8443)
        );
        assert_eq!(
            Page::classify(Some("https://xn--bcher-kva.example")),
            https("xn--bcher-kva.example", 443)
        );
        assert_eq!(
            Page::classify(Some("https://example.com./")),
            https("example.com", 443)
        );
    }

    #[test]
    fn ip_hosts_and_ports_are_recognised() {
        let page = Page::classify(Some("https://[2001:db8::1]:4433/x"));
        let target = page.target().expect("an https page");
        assert_eq!(target.host, "2001:db8::1");
        assert!(target.is_ip());
        assert!(target.is_non_default_port());
        assert_eq!(target.to_string(), "[2001:db8::1]:4433");
        let v4 = Target::new("192.0.2.1", 443);
        assert!(v4.is_ip());
        assert_eq!(v4.to_string(), "192.0.2.1");
        assert!(!Target::new("example.com", 443).is_ip());
        assert_eq!(
            Target::new("example.com", 8443).to_string(),
            "example.com:8443"
        );
    }

    #[test]
    fn plain_http_needs_no_probe() {
        assert_eq!(
            Page::classify(Some("http://plain.test/index.html")),
            Page::PlainHttp {
                host: "plain.test".into()
            }
        );
        let page = Page::classify(Some("http://plain.test:8080/"));
        assert_eq!(page.target(), None);
        assert_eq!(
            page,
            Page::PlainHttp {
                host: "plain.test:8080".into()
            }
        );
    }

    #[test]
    fn browser_pages_are_not_probed() {
        for (url, kind) in [
            ("chrome://extensions/", BrowserPageKind::Internal),
            ("about:blank", BrowserPageKind::Internal),
            ("about:debugging#/runtime", BrowserPageKind::Internal),
            ("edge://settings", BrowserPageKind::Internal),
            (
                "view-source:https://example.com/",
                BrowserPageKind::Internal,
            ),
            ("file:///home/me/a.html", BrowserPageKind::File),
            (
                "chrome-extension://abc/popup.html",
                BrowserPageKind::Extension,
            ),
            ("moz-extension://abc/popup.html", BrowserPageKind::Extension),
            ("data:text/html,hi", BrowserPageKind::NoServer),
            (
                "https://chromewebstore.google.com/detail/x",
                BrowserPageKind::Store,
            ),
            (
                "https://chrome.google.com/webstore/category/extensions",
                BrowserPageKind::Store,
            ),
            (
                "https://addons.mozilla.org/en-US/firefox/",
                BrowserPageKind::Store,
            ),
        ] {
            assert_eq!(Page::classify(Some(url)), Page::Browser(kind), "{url}");
        }
        assert_eq!(
            Page::classify(Some("https://chrome.google.com/search")),
            https("chrome.google.com", 443)
        );
    }

    #[test]
    fn missing_and_odd_urls() {
        assert_eq!(Page::classify(None), Page::Unknown);
        assert_eq!(Page::classify(Some("")), Page::Unknown);
        assert_eq!(
            Page::classify(Some("ftp://example.com/")),
            Page::Unsupported {
                scheme: "ftp".into()
            }
        );
        assert!(matches!(
            Page::classify(Some("https://example.com:99999/")),
            Page::Unsupported { .. }
        ));
        assert!(matches!(
            Page::classify(Some("https:///nohost")),
            Page::Unsupported { .. }
        ));
    }
}
