//! Watched sites: what a watch is made of (its schedule, its webhook), what changed between
//! two of its scans ([`alerts`]), and how an alert is posted ([`webhook`]). The runs
//! themselves are the served probe's (`server::watches`); the rows are the store's
//! (`store::watches`).

pub mod alerts;
pub mod webhook;

use std::time::Duration;

use crate::target::{DEFAULT_PORT, Host, Target};

/// The shortest schedule: a full scan costs the watched server dozens of connections.
pub const MIN_EVERY: Duration = Duration::from_secs(5 * 60);
/// The longest schedule: a certificate's 30-day warning still comes in time.
pub const MAX_EVERY: Duration = Duration::from_secs(30 * 86_400);
/// The schedule when none is given.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(6 * 3600);
/// The longest webhook URL accepted.
const MAX_URL_LEN: usize = 2048;

/// Parses a schedule: a number and a unit (`s`, `m`, `h`, `d`), or several (`1h30m`),
/// between [`MIN_EVERY`] and [`MAX_EVERY`].
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{text:?} is not a schedule: write a number and a unit, e.g. 30m, 6h, 1d or 1h30m \
             (s, m, h, d)"
        )
    };
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.len() > 32 {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    let every = Duration::from_secs(total);
    if every < MIN_EVERY || every > MAX_EVERY {
        return Err(format!(
            "{text:?}: a watch is scanned every 5m at the most often and every 30d at the least"
        ));
    }
    Ok(every)
}

/// A schedule written back (`6h`, `1h30m`, `2d`).
pub fn format_every(secs: u64) -> String {
    let mut out = String::new();
    let mut left = secs;
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if left >= size {
            out.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// A webhook URL, checked: `http://` or `https://`, a host, a port (80 or 443 unless given),
/// a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    pub https: bool,
    pub host: Host,
    pub port: u16,
    /// The path and query, starting with `/`.
    pub path: String,
    /// The `Host` header (the authority as written).
    pub authority: String,
}

impl WebhookUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("webhook {text:?}: {why}");
        if text.len() > MAX_URL_LEN {
            return Err(bad("longer than 2048 characters"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad("only printable ASCII without spaces"));
        }
        let (https, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("must start with https:// or http://"));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("needs a host (and no user or password)"));
        }
        if path.contains('#') {
            return Err(bad("a fragment (#) is not sent"));
        }
        let default = if https { DEFAULT_PORT } else { 80 };
        // `Target` parses the host and port as a scan target's (IDNA, IPv6 in brackets).
        let target = Target::parse(authority).map_err(|e| bad(&e.to_string()))?;
        let written_port = match authority.strip_prefix('[') {
            Some(after) => after.contains("]:"),
            None => authority.contains(':'),
        };
        let port = if written_port { target.port() } else { default };
        Ok(Self {
            https,
            host: target.host().clone(),
            port,
            path,
            authority: authority.to_owned(),
        })
    }
}

/// A fresh webhook secret: 32 random bytes, hex.
pub fn new_secret() -> Result<String, String> {
    use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system's random source failed".to_owned())?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_within_bounds_and_bad_ones_say_how_to_write_them() {
        for (text, secs) in [
            ("6h", 6 * 3600),
            ("5m", 300),
            ("1h30m", 5400),
            ("30d", 30 * 86_400),
            ("900s", 900),
        ] {
            assert_eq!(parse_every(text), Ok(Duration::from_secs(secs)), "{text}");
            assert_eq!(parse_every(&format_every(secs)).unwrap().as_secs(), secs);
        }
        for text in ["", "6", "h", "6x", "-1h", "1.5h", "99999999999999999999d"] {
            let error = parse_every(text).unwrap_err();
            assert!(error.contains("e.g. 30m"), "{text}: {error}");
        }
        for text in ["4m", "299s", "31d"] {
            let error = parse_every(text).unwrap_err();
            assert!(error.contains("every 5m"), "{text}: {error}");
        }
    }

    #[test]
    fn webhook_urls_are_checked() {
        let url = WebhookUrl::parse("https://hooks.example.com/services/T0/B0?x=1").unwrap();
        assert!(url.https);
        assert_eq!(url.port, 443);
        assert_eq!(url.path, "/services/T0/B0?x=1");
        let url = WebhookUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((url.port, url.path.as_str()), (8080, "/"));
        assert_eq!(WebhookUrl::parse("http://a.example/x").unwrap().port, 80);
        assert_eq!(WebhookUrl::parse("http://[::1]:9/x").unwrap().port, 9);
        for text in [
            "ftp://a.example/",
            "https://",
            "https://user:pw@a.example/",
            "https://a.example/x y",
            "https://a.example/#frag",
        ] {
            assert!(WebhookUrl::parse(text).is_err(), "{text}");
        }
    }
}
