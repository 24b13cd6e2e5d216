//! The options: where the probe server is and the token it wants, as kept in
//! `chrome.storage.sync`.

use serde::{Deserialize, Serialize};

/// The probe server the extension uses until told otherwise.
pub const DEFAULT_PROBE_URL: &str = "http://127.0.0.1:7443";

/// Host permissions the manifest grants up front (`host_permissions`), so that the default
/// probe on loopback works out of the box. Firefox's match patterns cannot name a port, so
/// these cover every port of the loopback names, and nothing else. Any other probe origin
/// is asked for, as an optional host permission, when the options are saved.
pub const GRANTED_PATTERNS: &[&str] = &["http://127.0.0.1/*", "http://localhost/*"];

/// The key of the settings in `chrome.storage.sync`.
pub const STORAGE_KEY: &str = "settings";

/// The saved options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Normalised probe URL: scheme, host, optional port and path, no trailing slash.
    pub probe_url: String,
    /// API token sent as `Authorization: Bearer`, when set.
    pub token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            probe_url: DEFAULT_PROBE_URL.to_owned(),
            token: None,
        }
    }
}

impl Settings {
    /// The settings with a usable URL: stored values that do not parse fall back to the
    /// default instead of breaking the popup.
    #[must_use]
    pub fn sanitized(self) -> Self {
        Self {
            probe_url: normalize_probe_url(&self.probe_url)
                .unwrap_or_else(|_| DEFAULT_PROBE_URL.to_owned()),
            token: self
                .token
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        }
    }
}

/// Why a probe URL was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    /// Neither http:// nor https://.
    Scheme,
    /// No host, or a port that is not a number.
    Host,
    /// A query or fragment, which the API URLs could not extend.
    QueryOrFragment,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "Enter the probe server's URL, such as http://127.0.0.1:7443.",
            Self::Scheme => "The URL must start with http:// or https://.",
            Self::Host => "The URL needs a host name and, if any, a numeric port.",
            Self::QueryOrFragment => "Leave out ? and # parts: give the server's base URL.",
        })
    }
}

/// Checks and normalises a probe URL: trims, lowercases scheme and host, drops a trailing
/// slash. `HTTP://Probe.example:8443/tls/` becomes `http://probe.example:8443/tls`.
pub fn normalize_probe_url(input: &str) -> Result<String, UrlError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(UrlError::Empty);
    }
    let (scheme, rest) = split_scheme(input).ok_or(UrlError::Scheme)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(UrlError::Scheme);
    }
    if rest.contains(['?', '#']) {
        return Err(UrlError::QueryOrFragment);
    }
    let (authority, path) = rest
        .split_at_checked(rest.find('/').unwrap_or(rest.len()))
        .ok_or(UrlError::Host)?;
    if authority.is_empty() || authority.contains('@') {
        return Err(UrlError::Host);
    }
    let port_ok = |p: &str| p.parse::<u16>().is_ok();
    let host_ok = if let Some(rest) = authority.strip_prefix('[') {
        rest.split_once(']').is_some_and(|(v6, after)| {
            !v6.is_empty() && (after.is_empty() || after.strip_prefix(':').is_some_and(port_ok))
        })
    } else {
        match authority.split_once(':') {
            Some((host, port)) => !host.is_empty() && port_ok(port),
            None => true,
        }
    };
    if !host_ok {
        return Err(UrlError::Host);
    }
    let path = path.trim_end_matches('/');
    Ok(format!(
        "{scheme}://{}{path}",
        authority.to_ascii_lowercase()
    ))
}

/// `scheme://host[:port]` of a normalised URL.
pub fn origin(url: &str) -> &str {
    let after_scheme = split_scheme(url).map_or(0, |(scheme, _)| scheme.len() + 3);
    let end = url
        .get(after_scheme..)
        .and_then(|rest| rest.find('/'))
        .map_or(url.len(), |i| after_scheme + i);
    url.get(..end).unwrap_or(url)
}

/// `("https", "rest")` from `https://rest`.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    Some((scheme, rest.strip_prefix("//")?))
}

/// The host permission to request for a probe URL, or `None` when the manifest already
/// grants it. Firefox's match patterns cannot name a port, so the pattern names the host
/// only: `http://probe.example/*`.
pub fn permission_pattern(url: &str) -> Option<String> {
    let (scheme, authority) = split_scheme(origin(url))?;
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let pattern = format!("{scheme}://{host}/*");
    (!GRANTED_PATTERNS.contains(&pattern.as_str())).then_some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            normalize_probe_url(" HTTP://Probe.Example:8443/tls/ "),
            Ok("http://probe.example:8443/tls".to_owned())
        );
        assert_eq!(
            normalize_probe_url("http://127.0.0.1:7443"),
            Ok(DEFAULT_PROBE_URL.to_owned())
        );
        assert_eq!(
            normalize_probe_url("https://[::1]:7443/"),
            Ok("https://[::1]:7443".to_owned())
        );
        assert_eq!(normalize_probe_url(""), Err(UrlError::Empty));
        assert_eq!(normalize_probe_url("127.0.0.1:7443"), Err(UrlError::Scheme));
        assert_eq!(normalize_probe_url("ftp://x"), Err(UrlError::Scheme));
        assert_eq!(normalize_probe_url("http://x:port"), Err(UrlError::Host));
        assert_eq!(normalize_probe_url("http://"), Err(UrlError::Host));
        assert_eq!(normalize_probe_url("http://u:p@x"), Err(UrlError::Host));
        assert_eq!(
            normalize_probe_url("http://x/?a=1"),
            Err(UrlError::QueryOrFragment)
        );
        assert!(!UrlError::Host.to_string().is_empty());
    }

    #[test]
    fn only_custom_origins_need_a_permission() {
        assert_eq!(permission_pattern(DEFAULT_PROBE_URL), None);
        assert_eq!(permission_pattern("http://localhost:7443"), None);
        assert_eq!(
            permission_pattern("https://probe.example:8443/tls"),
            Some("https://probe.example/*".to_owned())
        );
        assert_eq!(permission_pattern("http://127.0.0.1:9000"), None);
        assert_eq!(
            permission_pattern("https://127.0.0.1:9000"),
            Some("https://127.0.0.1/*".to_owned())
        );
        assert_eq!(
            permission_pattern("http://[::1]:9000"),
            Some("http://[::1]/*".to_owned())
        );
        assert_eq!(
            origin("https://probe.example:8443/tls"),
            "https://probe.example:8443"
        );
    }

    #[test]
    fn stored_settings_are_sanitised() {
        let s = Settings {
            probe_url: "garbage".into(),
            token: Some("  ".into()),
        }
        .sanitized();
        assert_eq!(s, Settings::default());
        let s: Settings = serde_json::from_str(r#"{"token":"t"}"#).expect("partial settings");
        assert_eq!(s.probe_url, DEFAULT_PROBE_URL);
        assert_eq!(s.sanitized().token.as_deref(), Some("t"));
    }
}
