//! What to scan: a validated host and port.
//!
//! [`Target::parse`] is the only way to build a [`Target`]: once you hold one, the host is a
//! well-formed DNS name in ASCII (IDNs converted to punycode) or an IP address, and the port
//! is in range. Numeric hosts that are not the canonical dotted quad (`2130706433`,
//! `0x7f.1`, `0177.0.0.1`, `127.1`) are refused: the system resolver would quietly turn them
//! into IP addresses, which hides where the probe really connects.

pub mod address_policy;
pub mod connect_to;
pub mod dns_policy;
pub mod egress;
pub mod hsts_preload;
pub mod names;
pub mod resolve;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use crate::error::ProbeError;

/// The port scanned when none is given.
pub const DEFAULT_PORT: u16 = 443;

/// A host to scan: a DNS name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// Lower-case ASCII DNS name without a trailing dot (IDNs in punycode).
    Name(String),
    Ip(IpAddr),
}

impl Host {
    /// The IP address, if this is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Name(_) => None,
        }
    }

    /// The DNS name, if this is not an IP address.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Name(name) => Some(name),
            Self::Ip(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => f.write_str(name),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A validated scan target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    host: Host,
    port: u16,
}

impl Target {
    /// Parses `example.com`, `example.com:8443`, `bücher.example`, `192.0.2.1:443`,
    /// `[2001:db8::1]:443`, `2001:db8::1`, or an `https://host[:port][/path]` URL.
    pub fn parse(input: &str) -> Result<Self, ProbeError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(ProbeError::invalid_target(input, "the target is empty"));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ProbeError::invalid_target(
                input,
                "the target contains spaces or control characters",
            ));
        }
        let authority = strip_url(input, text)?;
        let (host_text, port) = split_port(input, authority)?;
        let host = parse_host(input, host_text)?;
        Ok(Self {
            host,
            port: port.unwrap_or(DEFAULT_PORT),
        })
    }

    /// Builds a target from a separately given host and port (the HTTP API's `host` and
    /// `port` parameters). The host must not carry a port of its own.
    pub fn from_parts(host: &str, port: Option<u16>) -> Result<Self, ProbeError> {
        let mut target = Self::parse(host)?;
        if let Some(port) = port {
            if port == 0 {
                return Err(ProbeError::invalid_target(
                    host,
                    "port 0 is not a valid port",
                ));
            }
            let host_has_port =
                target.port != DEFAULT_PORT || host.trim_end_matches('/').ends_with(":443");
            if host_has_port && target.port != port {
                return Err(ProbeError::invalid_target(
                    host,
                    format!(
                        "the host names port {} but port {port} was asked for",
                        target.port
                    ),
                ));
            }
            target.port = port;
        }
        Ok(target)
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            _ => write!(f, "{}:{}", self.host, self.port),
        }
    }
}

/// Accepts `https://authority/...` and returns the authority; refuses other schemes.
fn strip_url<'a>(input: &str, text: &'a str) -> Result<&'a str, ProbeError> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Ok(text);
    };
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(ProbeError::invalid_target(
            input,
            format!(
                "only https:// URLs can be scanned ({scheme}:// is not TLS); give the host name"
            ),
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(ProbeError::invalid_target(
            input,
            "URLs with user information (user@host) are not accepted",
        ));
    }
    Ok(authority)
}

/// Splits `host[:port]`, handling `[v6]:port` and bare IPv6 literals.
fn split_port<'a>(input: &str, authority: &'a str) -> Result<(&'a str, Option<u16>), ProbeError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err(ProbeError::invalid_target(
                input,
                "missing ']' after the IPv6 address",
            ));
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(parse_port(input, port)?),
                None => {
                    return Err(ProbeError::invalid_target(
                        input,
                        format!("unexpected {after:?} after the IPv6 address"),
                    ));
                }
            },
        };
        if inside.parse::<Ipv6Addr>().is_err() {
            return Err(ProbeError::invalid_target(
                input,
                format!("{inside:?} is not an IPv6 address"),
            ));
        }
        return Ok((inside, port));
    }
    match authority.matches(':').count() {
        0 => Ok((authority, None)),
        1 => {
            let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
            Ok((host, Some(parse_port(input, port)?)))
        }
        // More than one colon: a bare IPv6 literal (no port possible without brackets).
        _ => Ok((authority, None)),
    }
}

fn parse_port(input: &str, text: &str) -> Result<u16, ProbeError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 5 {
        return Err(ProbeError::invalid_target(
            input,
            format!("{text:?} is not a port number (1-65535)"),
        ));
    }
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(ProbeError::invalid_target(
            input,
            format!("{text} is not a port number (1-65535)"),
        )),
        Ok(port) => Ok(port),
    }
}

fn parse_host(input: &str, text: &str) -> Result<Host, ProbeError> {
    if text.is_empty() {
        return Err(ProbeError::invalid_target(input, "the host is empty"));
    }
    if text.contains('%') {
        return Err(ProbeError::invalid_target(
            input,
            "IPv6 zone identifiers (%...) are not accepted",
        ));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    if text.contains(':') {
        return Err(ProbeError::invalid_target(
            input,
            format!("{text:?} is not a valid IPv6 address"),
        ));
    }
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    if let Some(ip) = legacy_ipv4(trimmed) {
        return Err(ProbeError::invalid_target(
            input,
            match ip {
                Some(ip) => format!(
                    "{text:?} is a non-standard spelling of the IPv4 address {ip}; write {ip}"
                ),
                None => format!("{text:?} looks like an IP address but is not a valid one"),
            },
        ));
    }
    let ascii = Uts46::new()
        .to_ascii(
            trimmed.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .map_err(|_| {
            ProbeError::invalid_target(input, format!("{text:?} is not a valid host name"))
        })?;
    // IDNA maps full-width digits, letters and dots to ASCII: check the result again.
    if let Some(ip) = legacy_ipv4(&ascii) {
        return Err(ProbeError::invalid_target(
            input,
            match ip {
                Some(ip) => format!("{text:?} is a spelling of the IPv4 address {ip}; write {ip}"),
                None => format!("{text:?} looks like an IP address but is not a valid one"),
            },
        ));
    }
    if !ascii.contains('.') && ascii != "localhost" {
        // A single label is resolved through search domains: where it goes depends on the
        // machine. Ask for a fully qualified name instead.
        return Err(ProbeError::invalid_target(
            input,
            format!("{text:?} is not a fully qualified host name (add its domain)"),
        ));
    }
    if ascii
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ProbeError::invalid_target(
            input,
            format!("{text:?}: a host name cannot end in a numeric label"),
        ));
    }
    Ok(Host::Name(ascii.into_owned()))
}

/// Recognises the numeric host spellings `inet_aton` accepts (decimal, octal `0…`, hex `0x…`,
/// 1 to 4 parts). Returns `None` when `text` is not numeric at all, `Some(Some(ip))` for a
/// valid spelling, `Some(None)` for a numeric-looking but invalid one.
fn legacy_ipv4(text: &str) -> Option<Option<Ipv4Addr>> {
    let parts: Vec<&str> = text.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && (p.bytes().all(|b| b.is_ascii_digit())
                || ((p.starts_with("0x") || p.starts_with("0X"))
                    && p[2..].bytes().all(|b| b.is_ascii_hexdigit())))
    };
    if !parts.iter().all(numeric) {
        return None;
    }
    let values: Option<Vec<u64>> = parts
        .iter()
        .map(|p| {
            if let Some(hex) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                if hex.is_empty() {
                    Some(0)
                } else {
                    u64::from_str_radix(hex, 16).ok()
                }
            } else if p.len() > 1 && p.starts_with('0') {
                u64::from_str_radix(p, 8).ok()
            } else {
                p.parse().ok()
            }
        })
        .collect();
    let Some(values) = values else {
        return Some(None);
    };
    // The last part fills the remaining bytes (a.b.c.d, a.b.cd, a.bcd, abcd).
    let (last, head) = values.split_last()?;
    if parts.len() > 4 || head.iter().any(|&v| v > 255) {
        return Some(None);
    }
    let room = 8 * (4 - head.len() as u32);
    if room < 64 && *last >= 1u64 << room {
        return Some(None);
    }
    let mut value: u64 = 0;
    for (i, v) in head.iter().enumerate() {
        value |= v << (24 - 8 * i);
    }
    value |= last;
    Some(u32::try_from(value).ok().map(Ipv4Addr::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> (Host, u16) {
        let t = Target::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (t.host().clone(), t.port())
    }

    fn err(input: &str) -> String {
        Target::parse(input).expect_err(input).to_string()
    }

    #[test]
    fn parses_names_ips_ports_and_urls() {
        assert_eq!(ok("example.com"), (Host::Name("example.com".into()), 443));
        assert_eq!(
            ok("Example.COM.:8443"),
            (Host::Name("example.com".into()), 8443)
        );
        assert_eq!(
            ok("192.0.2.7"),
            (Host::Ip("192.0.2.7".parse().unwrap()), 443)
        );
        assert_eq!(
            ok("192.0.2.7:10443"),
            (Host::Ip("192.0.2.7".parse().unwrap()), 10443)
        );
        assert_eq!(
            ok("[2001:db8::1]:8443"),
            (Host::Ip("2001:db8::1".parse().unwrap()), 8443)
        );
        assert_eq!(
            ok("2001:db8::1"),
            (Host::Ip("2001:db8::1".parse().unwrap()), 443)
        );
        assert_eq!(
            ok("https://www.example.org:444/path?q#f"),
            (Host::Name("www.example.org".into()), 444)
        );
        assert_eq!(ok("  localhost "), (Host::Name("localhost".into()), 443));
    }

    #[test]
    fn converts_idns_to_punycode() {
        assert_eq!(
            ok("bücher.example").0,
            Host::Name("xn--bcher-kva.example".into())
        );
        assert_eq!(
            ok("例え.テスト:8443"),
            (Host::Name("xn--r8jz45g.xn--zckzah".into()), 8443)
        );
    }

    #[test]
    fn refuses_garbage_with_a_reason() {
        assert!(err("").contains("empty"));
        assert!(err("exa mple.com").contains("spaces"));
        assert!(err("example.com:0").contains("port"));
        assert!(err("example.com:65536").contains("port"));
        assert!(err("example.com:https").contains("port"));
        assert!(err("http://example.com").contains("only https://"));
        assert!(err("https://user@example.com").contains("user"));
        assert!(err("[2001:db8::1").contains("]"));
        assert!(err("[example.com]:443").contains("IPv6"));
        assert!(err("fe80::1%eth0").contains("zone"));
        assert!(err("exa_mple.com").contains("not a valid host name"));
        assert!(err("-bad.example").contains("not a valid host name"));
        assert!(err(&format!("{}.com", "a".repeat(64))).contains("not a valid host name"));
        assert!(err("intranet").contains("fully qualified"));
        assert!(err("example.123").contains("numeric"));
    }

    #[test]
    fn refuses_unusual_ipv4_spellings_naming_the_real_address() {
        for spelling in [
            "2130706433",
            "0x7f000001",
            "0177.0.0.1",
            "127.1",
            "0x7f.1",
            "127.0.1",
            "0x7F.0.0.0x1",
        ] {
            let message = err(spelling);
            assert!(message.contains("127.0.0.1"), "{spelling}: {message}");
        }
        assert!(err("169.254.43518").contains("169.254.169.254"));
        // Full-width forms become these spellings only after IDNA mapping.
        assert!(err("０ｘ７ｆ.０ｘ１").contains("127.0.0.1"));
        assert!(err("１.０ｘ７ｆ").contains("1.0.0.127"));
        assert!(err("1.2.3.4.5").contains("not a valid one"));
        assert!(err("256.1.1.1").contains("not a valid one"));
        assert!(err("08.1.1.1").contains("not a valid one"));
    }

    #[test]
    fn api_parts_must_agree() {
        let t = Target::from_parts("example.com", Some(8443)).unwrap();
        assert_eq!(t.port(), 8443);
        assert!(Target::from_parts("example.com:444", Some(8443)).is_err());
        assert_eq!(
            Target::from_parts("example.com:444", None).unwrap().port(),
            444
        );
        assert!(Target::from_parts("example.com", Some(0)).is_err());
    }

    #[test]
    fn displays_in_connectable_form() {
        assert_eq!(
            Target::parse("[::1]:8443").unwrap().to_string(),
            "[::1]:8443"
        );
        assert_eq!(
            Target::parse("example.com").unwrap().to_string(),
            "example.com:443"
        );
    }
}
