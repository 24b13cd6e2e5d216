//! `--connect-to HOST:PORT:ADDRESS:PORT`, with curl's meaning: a request for HOST:PORT
//! connects to ADDRESS:PORT instead, but still speaks to HOST (SNI, certificate name, Host
//! header). An empty HOST or PORT matches any; an empty second PORT keeps the port. Local
//! tests use it so they never need DNS.

use std::net::{IpAddr, SocketAddr};

use crate::error::ProbeError;
use crate::target::Host;

/// One `--connect-to` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    host: Option<String>,
    port: Option<u16>,
    address: IpAddr,
    address_port: Option<u16>,
}

impl ConnectTo {
    /// Parses `HOST:PORT:ADDRESS:PORT`. ADDRESS must be an IP literal (IPv6 in brackets):
    /// the rule exists to avoid DNS.
    pub fn parse(input: &str) -> Result<Self, ProbeError> {
        let bad = |reason: &str| ProbeError::InvalidConnectTo {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let (host, rest) = split_field(input).ok_or_else(|| bad("missing fields"))?;
        let (port, rest) = rest.split_once(':').ok_or_else(|| bad("missing fields"))?;
        let (address, address_port) =
            split_field(rest).ok_or_else(|| bad("missing the address and port"))?;
        let parse_port = |text: &str| -> Result<Option<u16>, ProbeError> {
            match text {
                "" => Ok(None),
                _ => match text.parse::<u16>() {
                    Ok(0) | Err(_) => Err(bad(&format!("{text:?} is not a port number"))),
                    Ok(p) => Ok(Some(p)),
                },
            }
        };
        let address = address
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| bad(&format!("{address:?} is not an IP address")))?;
        let host = match host.trim_start_matches('[').trim_end_matches(']') {
            "" => None,
            h => Some(h.trim_end_matches('.').to_ascii_lowercase()),
        };
        Ok(Self {
            host,
            port: parse_port(port)?,
            address,
            address_port: parse_port(address_port)?,
        })
    }

    /// Where to connect instead of `host:port`, if this rule applies.
    pub fn apply(&self, host: &Host, port: u16) -> Option<SocketAddr> {
        let host_matches = match &self.host {
            None => true,
            Some(h) => match host {
                Host::Name(name) => name == h,
                Host::Ip(ip) => h.parse::<IpAddr>().is_ok_and(|rule_ip| rule_ip == *ip),
            },
        };
        let port_matches = self.port.is_none_or(|p| p == port);
        (host_matches && port_matches)
            .then(|| SocketAddr::new(self.address, self.address_port.unwrap_or(port)))
    }
}

/// The first rule that applies to `host:port`.
pub fn lookup(rules: &[ConnectTo], host: &Host, port: u16) -> Option<SocketAddr> {
    rules.iter().find_map(|rule| rule.apply(host, port))
}

/// Splits off the first field, where a field may be a bracketed IPv6 literal.
fn split_field(text: &str) -> Option<(&str, &str)> {
    if text.starts_with('[') {
        let end = text.find(']')? + 1;
        let rest = text[end..].strip_prefix(':')?;
        Some((&text[..end], rest))
    } else {
        text.split_once(':')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Host {
        Host::Name(n.into())
    }

    #[test]
    fn maps_like_curl() {
        let rule = ConnectTo::parse("good.test:443:127.0.0.1:8443").unwrap();
        assert_eq!(
            rule.apply(&name("good.test"), 443),
            Some("127.0.0.1:8443".parse().unwrap())
        );
        assert_eq!(rule.apply(&name("good.test"), 80), None);
        assert_eq!(rule.apply(&name("other.test"), 443), None);

        let any_port = ConnectTo::parse("good.test::127.0.0.2:").unwrap();
        assert_eq!(
            any_port.apply(&name("good.test"), 8443),
            Some("127.0.0.2:8443".parse().unwrap())
        );

        let any_host = ConnectTo::parse("::[::1]:9443").unwrap();
        assert_eq!(
            any_host.apply(&name("x.test"), 1),
            Some("[::1]:9443".parse().unwrap())
        );

        let ip_host = ConnectTo::parse("[2001:db8::1]:443:127.0.0.1:1443").unwrap();
        assert_eq!(
            ip_host.apply(&Host::Ip("2001:db8::1".parse().unwrap()), 443),
            Some("127.0.0.1:1443".parse().unwrap())
        );
    }

    #[test]
    fn refuses_malformed_rules() {
        for bad in [
            "",
            "a.test",
            "a.test:443",
            "a.test:443:127.0.0.1",
            "a.test:x:127.0.0.1:1",
            "a.test:443:localhost:1",
            "a.test:443:127.0.0.1:70000",
        ] {
            assert!(ConnectTo::parse(bad).is_err(), "{bad}");
        }
    }
}
