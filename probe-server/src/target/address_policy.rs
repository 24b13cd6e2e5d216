//! Which addresses the probe may connect to.
//!
//! In server mode anybody who can reach the API chooses where the probe connects, so by
//! default it refuses every address that is not public unicast: loopback, private, CGNAT,
//! link-local (cloud metadata at 169.254.169.254), multicast, unspecified, reserved and
//! documentation ranges — and the IPv6 forms that smuggle those IPv4 addresses
//! (IPv4-mapped, IPv4-compatible, NAT64, 6to4). The operator can allow everything
//! (`--allow-private`) or admit chosen ranges (`--allow-cidr`). The CLI allows everything:
//! its user is the operator.
//!
//! Ports are a second rule: a public-only policy scans port 443 and the ports the operator
//! lists (`--allow-port`), so the probe cannot be pointed at a host's SSH, SMTP or database
//! ports. `--allow-private` lifts the address rule only.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;

use crate::target::DEFAULT_PORT;

/// The address rules for outgoing connections.
#[derive(Clone, Debug)]
pub struct AddressPolicy {
    allow_all: bool,
    allowed_ranges: Vec<IpNet>,
    /// The ports a target may name; `None`: any.
    ports: Option<Vec<PortRange>>,
}

impl Default for AddressPolicy {
    /// Public unicast addresses, port 443 only.
    fn default() -> Self {
        Self::public_only(Vec::new())
    }
}

impl AddressPolicy {
    /// Any address and any port (the CLI).
    pub fn allow_all() -> Self {
        Self {
            allow_all: true,
            allowed_ranges: Vec::new(),
            ports: None,
        }
    }

    /// Public unicast only, plus the given ranges; port 443 only.
    pub fn public_only(allowed_ranges: Vec<IpNet>) -> Self {
        Self {
            allow_all: false,
            allowed_ranges,
            ports: Some(vec![PortRange::single(DEFAULT_PORT)]),
        }
    }

    /// Any address (`--allow-private`), keeping the port rule.
    #[must_use]
    pub fn with_any_address(mut self) -> Self {
        self.allow_all = true;
        self
    }

    /// Port 443 plus `extra` (`--allow-port`); a range covering every port lifts the rule.
    #[must_use]
    pub fn with_ports(mut self, extra: &[PortRange]) -> Self {
        if extra.iter().any(PortRange::is_all) {
            self.ports = None;
        } else if let Some(ports) = &mut self.ports {
            ports.extend_from_slice(extra);
        }
        self
    }

    pub fn allows_everything(&self) -> bool {
        self.allow_all
    }

    /// `Ok` when a target may name `port`; else why not.
    pub fn check_port(&self, port: u16) -> Result<(), String> {
        match &self.ports {
            None => Ok(()),
            Some(ranges) if ranges.iter().any(|r| r.contains(port)) => Ok(()),
            Some(ranges) => {
                let allowed: Vec<String> = ranges.iter().map(ToString::to_string).collect();
                Err(format!(
                    "this probe scans only port {} (the operator can allow more with \
                     --allow-port)",
                    allowed.join(", ")
                ))
            }
        }
    }

    /// Whether the operator listed `port` (`--allow-port`), as opposed to allowing every
    /// port. Connections a server's own data asks for (an AIA URL) go to 80, 443 and these.
    pub fn lists_port(&self, port: u16) -> bool {
        self.ports
            .as_ref()
            .is_some_and(|ranges| ranges.iter().any(|r| r.contains(port)))
    }

    /// `Ok` when the probe may connect to `ip`; else why not.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        if self.allow_all {
            return Ok(());
        }
        let embedded = embedded_ipv4(ip);
        let admitted = |addr: IpAddr| self.allowed_ranges.iter().any(|net| net.contains(&addr));
        if admitted(ip) || embedded.is_some_and(|v4| admitted(IpAddr::V4(v4))) {
            return Ok(());
        }
        match special_range(ip) {
            None => Ok(()),
            Some(what) => Err(format!(
                "{ip} is {what}; this probe only scans public addresses (the operator can allow \
                 more with --allow-private or --allow-cidr)"
            )),
        }
    }
}

/// Whether `ip` is public unicast: in no special range, directly or as an embedded IPv4
/// address.
pub fn is_public(ip: IpAddr) -> bool {
    special_range(ip).is_none()
}

/// An inclusive range of ports, written `8443`, `8000-8100` or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    pub const fn single(port: u16) -> Self {
        Self {
            first: port,
            last: port,
        }
    }

    pub fn contains(&self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }

    /// Covers every port (1-65535).
    pub fn is_all(&self) -> bool {
        self.first <= 1 && self.last == u16::MAX
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("all") || text.eq_ignore_ascii_case("any") {
            return Ok(Self {
                first: 1,
                last: u16::MAX,
            });
        }
        let port = |p: &str| match p.trim().parse::<u16>() {
            Ok(0) | Err(_) => Err(format!(
                "{text:?} is not a port (1-65535), a range like 8000-8100, or \"all\""
            )),
            Ok(port) => Ok(port),
        };
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => (port(text)?, port(text)?),
        };
        if first > last {
            return Err(format!("{text:?}: the range runs backwards"));
        }
        Ok(Self { first, last })
    }
}

impl serde::Serialize for PortRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PortRange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Spelling {
            Number(u64),
            Text(String),
        }
        let text = match Spelling::deserialize(deserializer)? {
            Spelling::Number(n) => n.to_string(),
            Spelling::Text(t) => t,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The IPv4 address an IPv6 address carries in a translation form, if any.
fn embedded_ipv4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    let s = v6.segments();
    let from =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated).
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo]
            if (hi, lo) != (0, 0) && (hi, lo) != (0, 1) =>
        {
            Some(from(hi, lo))
        }
        // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(from(hi, lo)),
        // 6to4 2002:AABB:CCDD::/48 (RFC 3056).
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        _ => None,
    }
}

/// Names the special-purpose range `ip` is in; `None` for public unicast.
fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(ip) {
                return special_v4(v4).map(|_| "an IPv6 form (mapped, compatible, NAT64 or 6to4) of a non-public IPv4 address");
            }
            special_v6(v6)
        }
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "in 0.0.0.0/8 (\"this network\", unspecified)",
        (10, _, _) => "a private address (RFC 1918)",
        (100, 64..=127, _) => "a carrier-grade NAT address (RFC 6598)",
        (127, _, _) => "a loopback address",
        (169, 254, _) => "a link-local address (this range holds cloud metadata services)",
        (172, 16..=31, _) => "a private address (RFC 1918)",
        (192, 0, 0) => "an IETF protocol assignment (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address (RFC 5737)",
        (192, 88, 99) => "a deprecated 6to4 relay address",
        (192, 168, _) => "a private address (RFC 1918)",
        (198, 18..=19, _) => "a benchmarking address (RFC 2544)",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    Some(match s {
        [0, 0, 0, 0, 0, 0, 0, 0] => "the unspecified address",
        [0, 0, 0, 0, 0, 0, 0, 1] => "a loopback address",
        [0x64, 0xff9b, 1, ..] => "a local-use NAT64 address (RFC 8215)",
        [0x100, 0, 0, 0, ..] => "a discard-only address (RFC 6666)",
        [0x2001, 0, ..] => "a Teredo tunnel address",
        [0x2001, 2, 0, ..] => "a benchmarking address (RFC 5180)",
        [0x2001, 0x10..=0x2f, ..] => "an ORCHID address",
        [0x2001, 0xdb8, ..] => "a documentation address (RFC 3849)",
        [x, ..] if x & 0xfff0 == 0x3ff0 => "a documentation address (RFC 9637)",
        [x, ..] if x & 0xfe00 == 0xfc00 => "a unique local address (private, RFC 4193)",
        [x, ..] if x & 0xffc0 == 0xfe80 => "a link-local address",
        [x, ..] if x & 0xffc0 == 0xfec0 => "a site-local address (deprecated, private)",
        [x, ..] if x & 0xff00 == 0xff00 => "a multicast address",
        // Everything else outside global unicast 2000::/3 is reserved by IANA.
        [x, ..] if x & 0xe000 != 0x2000 => "a reserved address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        AddressPolicy::public_only(Vec::new())
            .check(text.parse().unwrap())
            .is_err()
    }

    #[test]
    fn refuses_every_non_public_form() {
        for ip in [
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "100::1",
            "2001::1",
            "64:ff9b:1::1",
            "4000::1",
        ] {
            assert!(refused(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn allows_public_unicast_and_its_translations() {
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::101:101",
            "2002:101:101::1",
        ] {
            assert!(!refused(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn ports_443_and_the_operators_list() {
        let policy = AddressPolicy::public_only(Vec::new());
        assert!(policy.check_port(443).is_ok());
        let message = policy.check_port(22).unwrap_err();
        assert!(message.contains("--allow-port"), "{message}");
        let ranges: Vec<PortRange> = ["8443", "9000-9010"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let policy = policy.with_ports(&ranges);
        for (port, ok) in [
            (443, true),
            (8443, true),
            (9000, true),
            (9010, true),
            (9011, false),
        ] {
            assert_eq!(policy.check_port(port).is_ok(), ok, "{port}");
        }
        let all = AddressPolicy::public_only(Vec::new()).with_ports(&["all".parse().unwrap()]);
        assert!(all.check_port(22).is_ok());
        assert!(AddressPolicy::allow_all().check_port(22).is_ok());
        // --allow-private lifts the address rule, not the port rule.
        let private = AddressPolicy::public_only(Vec::new()).with_any_address();
        assert!(private.check("10.0.0.1".parse().unwrap()).is_ok());
        assert!(private.check_port(22).is_err());
        for bad in ["0", "65536", "http", "9-8", "", "-5"] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn operator_ranges_and_allow_all() {
        let policy = AddressPolicy::public_only(vec!["10.20.0.0/16".parse().unwrap()]);
        assert!(policy.check("10.20.3.4".parse().unwrap()).is_ok());
        assert!(policy.check("::ffff:10.20.3.4".parse().unwrap()).is_ok());
        assert!(policy.check("10.21.0.1".parse().unwrap()).is_err());
        assert!(
            AddressPolicy::allow_all()
                .check("127.0.0.1".parse().unwrap())
                .is_ok()
        );
        let message = AddressPolicy::default()
            .check("169.254.169.254".parse().unwrap())
            .unwrap_err();
        assert!(
            message.contains("link-local") && message.contains("--allow-private"),
            "{message}"
        );
    }
}
