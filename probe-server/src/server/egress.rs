//! Where a new scan will connect, decided before it starts: the broker needs the address to
//! key the per-target rate limit on (thirty names for one address are one target), and to
//! refuse a name that points inside without taking a slot.
//!
//! The decision is the scan's own ([`crate::target::egress::Egress::target`]: a
//! `--connect-to` rule, else the IP literal, else one lookup; IPv4 preferred; every address
//! checked). The scan is then given that answer ([`PinnedResolver`]) so it neither looks the
//! name up a second time (DNS rebinding between the two lookups) nor connects elsewhere.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::error::ProbeError;
use crate::scan::Scanner;
use crate::target::egress::Endpoint;
use crate::target::resolve::{LookupFuture, Resolve};
use crate::target::{Host, Target};

/// The per-target rate limit's key for a scan that connects to `endpoint`: the address and
/// port connected to, an IPv4 address written in IPv6 (mapped or compatible) as that IPv4
/// address.
pub fn rate_key(endpoint: &Endpoint) -> String {
    let ip = match endpoint.address.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4() {
            Some(v4) if !v6.is_loopback() && !v6.is_unspecified() => IpAddr::V4(v4),
            _ => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    SocketAddr::new(ip, endpoint.address.port()).to_string()
}

/// Where a scan of `target` by `scanner` connects (the scan's own decision, taken here once).
pub async fn resolve_egress(scanner: &Scanner, target: &Target) -> Result<Endpoint, ProbeError> {
    Ok(scanner
        .egress
        .target(target.host(), target.port(), scanner.timeouts.connect)
        .await?)
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

/// `scanner`, made to connect where `endpoint` says for `target`.
pub fn pinned(scanner: &Scanner, target: &Target, endpoint: &Endpoint) -> Scanner {
    let mut pinned = scanner.clone();
    if let Host::Name(name) = target.host() {
        pinned.egress.resolver = Arc::new(PinnedResolver::new(
            name,
            endpoint.resolved.clone(),
            scanner.egress.resolver.clone(),
        ));
    }
    pinned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::trust::TrustStore;
    use crate::target::address_policy::AddressPolicy;
    use crate::target::connect_to::ConnectTo;
    use crate::target::resolve::StaticResolver;

    fn scanner(resolver: StaticResolver) -> Scanner {
        let mut scanner = Scanner::new(TrustStore::new(None).unwrap());
        scanner.egress.resolver = Arc::new(resolver);
        scanner.egress.policy = AddressPolicy::public_only(Vec::new());
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
            async move { resolve_egress(s, &target).await.map(|e| rate_key(&e)) }
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
        mapped.egress.connect_to = vec![ConnectTo::parse("::93.184.216.35:8443").unwrap()];
        let egress = resolve_egress(&mapped, &Target::parse("b.x.test").unwrap())
            .await
            .unwrap();
        assert_eq!(rate_key(&egress), "93.184.216.35:8443");
        assert_eq!(resolver.lookups(), 4);
    }

    #[tokio::test]
    async fn the_scan_gets_the_answer_already_checked() {
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        let resolver = StaticResolver::new().with("other.test", &[ip("93.184.216.36")]);
        let s = scanner(resolver.clone());
        let target = Target::parse("pinned.test").unwrap();
        let egress = Endpoint {
            address: "93.184.216.34:443".parse().unwrap(),
            resolved: vec![ip("93.184.216.34")],
        };
        let pinned = pinned(&s, &target, &egress);
        assert_eq!(
            pinned.egress.resolver.lookup("PINNED.test").await.unwrap(),
            vec![ip("93.184.216.34")]
        );
        assert_eq!(
            pinned.egress.resolver.lookup("other.test").await.unwrap(),
            vec![ip("93.184.216.36")]
        );
        assert_eq!(resolver.lookups(), 1, "only the other name was asked");
    }
}
