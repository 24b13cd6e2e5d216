//! Where a new scan will connect, decided before it starts: the broker needs the address to
//! key the per-target rate limit on (thirty names for one address are one target), and to
//! refuse a name that points inside without taking a slot.
//!
//! [`resolve_egress`] takes the decision the scan itself takes (`Scanner::endpoint` in
//! `scan.rs`): a `--connect-to` rule, else the IP literal, else one lookup with the scanner's
//! resolver; IPv4 preferred; every address checked against the scanner's policy. The scan is
//! then given that answer ([`PinnedResolver`]) so it neither looks the name up a second time
//! (DNS rebinding between the two lookups) nor connects elsewhere.
//!
//! (Kept to one function on purpose: the egress decision is to become one function shared
//! by the scan and the broker.)

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::connect_to;
use crate::error::ProbeError;
use crate::resolve::{LookupFuture, Resolve};
use crate::scan::Scanner;
use crate::target::{Host, Target};

/// Where a scan of a target goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Egress {
    /// The address the scan connects to.
    pub address: SocketAddr,
    /// Every address the name resolved to (all of them allowed by the policy).
    pub resolved: Vec<IpAddr>,
    /// Whether the address came from a lookup (and the scan must be given the same answer).
    pub looked_up: bool,
}

impl Egress {
    /// The per-target rate limit's key: the address and port connected to, an IPv4 address
    /// written in IPv6 (mapped or compatible) as that IPv4 address.
    pub fn rate_key(&self) -> String {
        let ip = match self.address.ip() {
            IpAddr::V6(v6) => match v6.to_ipv4() {
                Some(v4) if !v6.is_loopback() && !v6.is_unspecified() => IpAddr::V4(v4),
                _ => IpAddr::V6(v6),
            },
            v4 => v4,
        };
        SocketAddr::new(ip, self.address.port()).to_string()
    }
}

/// Resolves `target` as `scanner` would and checks every address against its policy (see
/// the module docs).
pub async fn resolve_egress(scanner: &Scanner, target: &Target) -> Result<Egress, ProbeError> {
    let host = target.host();
    let port = target.port();
    let host_text = host.to_string();
    let resolve_error = |reason: &str| ProbeError::Resolve {
        host: host_text.clone(),
        reason: reason.to_owned(),
    };
    let (address, resolved, looked_up) = if let Some(mapped) =
        connect_to::lookup(&scanner.connect_to, host, port)
    {
        (mapped, vec![mapped.ip()], false)
    } else {
        let (resolved, looked_up) = match host {
            Host::Ip(ip) => (vec![*ip], false),
            Host::Name(name) => {
                let lookup =
                    tokio::time::timeout(scanner.timeouts.connect, scanner.resolver.lookup(name))
                        .await
                        .map_err(|_| resolve_error("the DNS lookup timed out"))?
                        .map_err(|e| resolve_error(&e.to_string()))?;
                (lookup, true)
            }
        };
        let first = resolved
            .iter()
            .find(|ip| ip.is_ipv4())
            .or_else(|| resolved.first())
            .copied()
            .ok_or_else(|| resolve_error("the name has no addresses"))?;
        (SocketAddr::new(first, port), resolved, looked_up)
    };
    for ip in resolved.iter().chain(std::iter::once(&address.ip())) {
        if let Err(reason) = scanner.policy.check(*ip) {
            return Err(ProbeError::Forbidden {
                host: host_text,
                address: *ip,
                reason,
            });
        }
    }
    Ok(Egress {
        address,
        resolved,
        looked_up,
    })
}

/// A resolver that answers one name with the addresses already looked up, and asks `inner`
/// for every other name.
#[derive(Debug)]
pub struct PinnedResolver {
    name: String,
    addresses: Vec<IpAddr>,
    inner: Arc<dyn Resolve>,
}

impl PinnedResolver {
    pub fn new(name: &str, addresses: Vec<IpAddr>, inner: Arc<dyn Resolve>) -> Self {
        Self {
            name: name.to_ascii_lowercase(),
            addresses,
            inner,
        }
    }
}

impl Resolve for PinnedResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        if host.eq_ignore_ascii_case(&self.name) {
            let addresses = self.addresses.clone();
            Box::pin(async move { Ok(addresses) })
        } else {
            self.inner.lookup(host)
        }
    }
}

/// `scanner`, made to connect where `egress` says for `target`.
pub fn pinned(scanner: &Scanner, target: &Target, egress: &Egress) -> Scanner {
    let mut pinned = scanner.clone();
    if let (true, Host::Name(name)) = (egress.looked_up, target.host()) {
        pinned.resolver = Arc::new(PinnedResolver::new(
            name,
            egress.resolved.clone(),
            scanner.resolver.clone(),
        ));
    }
    pinned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address_policy::AddressPolicy;
    use crate::connect_to::ConnectTo;
    use crate::resolve::StaticResolver;
    use crate::trust::TrustStore;

    fn scanner(resolver: StaticResolver) -> Scanner {
        let mut scanner = Scanner::new(TrustStore::new(None).unwrap());
        scanner.resolver = Arc::new(resolver);
        scanner.policy = AddressPolicy::public_only(Vec::new());
        scanner
    }

    #[tokio::test]
    async fn names_for_one_address_share_one_key_and_inside_is_refused() {
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        let resolver = StaticResolver::new()
            .with("a1.x.test", &[ip("93.184.216.34")])
            .with("a2.x.test", &[ip("2606:4700::1"), ip("93.184.216.34")])
            .with("vault.corp.test", &[ip("10.3.4.5")]);
        let s = scanner(resolver.clone());
        let key = |host: &str| {
            let s = &s;
            let target = Target::parse(host).unwrap();
            async move { resolve_egress(s, &target).await.map(|e| e.rate_key()) }
        };
        assert_eq!(key("a1.x.test").await.unwrap(), "93.184.216.34:443");
        assert_eq!(key("a2.x.test").await.unwrap(), "93.184.216.34:443");
        assert_eq!(
            key("[::ffff:93.184.216.34]").await.unwrap(),
            "93.184.216.34:443"
        );
        assert!(matches!(
            key("vault.corp.test").await,
            Err(ProbeError::Forbidden { .. })
        ));
        assert!(matches!(
            key("nowhere.test").await,
            Err(ProbeError::Resolve { .. })
        ));
        assert_eq!(resolver.lookups(), 4);
        // A --connect-to rule decides without a lookup.
        let mut mapped = scanner(resolver.clone());
        mapped.connect_to = vec![ConnectTo::parse("::93.184.216.35:8443").unwrap()];
        let egress = resolve_egress(&mapped, &Target::parse("b.x.test").unwrap())
            .await
            .unwrap();
        assert_eq!(egress.rate_key(), "93.184.216.35:8443");
        assert_eq!(resolver.lookups(), 4);
    }

    #[tokio::test]
    async fn the_scan_gets_the_answer_already_checked() {
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        let resolver = StaticResolver::new().with("other.test", &[ip("93.184.216.36")]);
        let s = scanner(resolver.clone());
        let target = Target::parse("pinned.test").unwrap();
        let egress = Egress {
            address: "93.184.216.34:443".parse().unwrap(),
            resolved: vec![ip("93.184.216.34")],
            looked_up: true,
        };
        let pinned = pinned(&s, &target, &egress);
        assert_eq!(
            pinned.resolver.lookup("PINNED.test").await.unwrap(),
            vec![ip("93.184.216.34")]
        );
        assert_eq!(
            pinned.resolver.lookup("other.test").await.unwrap(),
            vec![ip("93.184.216.36")]
        );
        assert_eq!(resolver.lookups(), 1, "only the other name was asked");
    }
}
