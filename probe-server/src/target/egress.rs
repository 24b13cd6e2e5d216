//! The one decision on where a scan may connect.
//!
//! Every outgoing connection of a scan asks [`Egress`] first and connects only to the
//! address it returns: the target itself ([`Purpose::Target`]), the port-80 redirect check
//! ([`Purpose::PlainHttp`]), the AIA fetch of a missing intermediate
//! ([`Purpose::IssuerFetch`]), and whatever is added later. One place holds the rules:
//!
//! - **Resolution, once.** A name is resolved once (or mapped by `--connect-to`), and every
//!   address it resolves to is checked: a name that also points inside is refused outright,
//!   and the connection goes to an address that was checked, never to a second lookup's
//!   answer (DNS rebinding cannot move it).
//! - **Addresses.** The operator's [`AddressPolicy`] applies to every purpose. A certificate
//!   is the server's own data, so an issuer URL must also resolve to a public address unless
//!   the scanned server itself is not public (a private CA's in-house setup): a public site
//!   cannot make the probe reach into the probe's own network.
//! - **Ports.** A target may name port 443 and the operator's `--allow-port` list (any port
//!   in the CLI). The redirect check goes to port 80. An issuer URL may name 80, 443 or a
//!   port the operator listed — never any port, even where targets may name any: the URL
//!   comes from the server, not from the user.
//!
//! Refusals are typed ([`EgressError`]) and their `Display` never names the address a name
//! resolved to (split-horizon DNS must not leak `10.3.4.5` for `vault.corp.example`); the
//! address is kept in the error for the operator's log.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use super::address_policy::{self, AddressPolicy};
use super::connect_to::{self, ConnectTo};
use super::resolve::Resolve;
use super::{DEFAULT_PORT, Host};

/// Why a connection is made: each purpose has its own port rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The server being scanned, on the port the user asked for.
    Target,
    /// `GET /` on the site's port 80, to see whether it redirects to HTTPS.
    PlainHttp,
    /// A caIssuers URL from the server's certificate (a missing intermediate).
    IssuerFetch,
    /// A watch's webhook (an alert's POST): the operator's address rules and the scan
    /// targets' ports, as if the webhook were a target, since anybody who may add a watch
    /// names it.
    Webhook,
}

impl Purpose {
    /// A stable name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Target => "target",
            Self::PlainHttp => "plain-http",
            Self::IssuerFetch => "issuer-fetch",
            Self::Webhook => "webhook",
        }
    }
}

/// Where a connection goes, once decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The address to connect to (checked).
    pub address: SocketAddr,
    /// Every address the name resolved to (all checked); the address itself for an IP.
    pub resolved: Vec<IpAddr>,
}

impl Endpoint {
    /// One endpoint per address the name resolved to, IPv4 first (each checked when this
    /// endpoint was decided): the addresses a full scan covers.
    pub fn each(&self) -> Vec<Self> {
        let port = self.address.port();
        let mut addresses: Vec<IpAddr> = vec![self.address.ip()];
        let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) =
            self.resolved.iter().partition(|ip| ip.is_ipv4());
        for ip in v4.into_iter().chain(v6) {
            if !addresses.contains(&ip) {
                addresses.push(ip);
            }
        }
        addresses
            .into_iter()
            .map(|ip| Self {
                address: SocketAddr::new(ip, port),
                resolved: self.resolved.clone(),
            })
            .collect()
    }
}

/// Why a connection may not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EgressError {
    /// The port is not one this purpose may reach.
    #[error("{}", port_refusal(*purpose, *port))]
    Port { purpose: Purpose, port: u16 },
    /// An address the host resolves to (or is) may not be reached. `address` is for logs:
    /// the message does not name it.
    #[error(
        "{host} resolves to a non-public address; this probe only connects to public addresses (the operator can allow more with --allow-private or --allow-cidr)"
    )]
    Address { host: String, address: IpAddr },
    /// An issuer URL of a public server's certificate points at a non-public address.
    #[error(
        "{host} (named in the certificate) resolves to a non-public address; a public server's certificate may not send the probe into a private network"
    )]
    IssuerNotPublic { host: String, address: IpAddr },
    /// The name does not resolve.
    #[error("{host} does not resolve: {reason}")]
    Resolve { host: String, reason: String },
    /// The lookup did not answer in time.
    #[error("the DNS lookup of {host} timed out after {:.1} s", after.as_secs_f64())]
    ResolveTimeout { host: String, after: Duration },
    /// The name resolved to nothing.
    #[error("{host} has no addresses")]
    NoAddresses { host: String },
}

impl EgressError {
    /// The address behind a refusal, for the operator's log.
    pub fn refused_address(&self) -> Option<IpAddr> {
        match self {
            Self::Address { address, .. } | Self::IssuerNotPublic { address, .. } => Some(*address),
            _ => None,
        }
    }
}

fn port_refusal(purpose: Purpose, port: u16) -> String {
    match purpose {
        Purpose::Target => format!(
            "this probe does not scan port {port} (it scans {DEFAULT_PORT}; the operator can \
             allow more with --allow-port)"
        ),
        Purpose::PlainHttp => format!("the redirect check goes to port 80, not {port}"),
        Purpose::IssuerFetch => format!(
            "the issuer URL names port {port}; issuers are fetched only from ports 80, 443 and \
             those the operator allows"
        ),
        Purpose::Webhook => format!(
            "webhooks go to the ports scans may reach ({DEFAULT_PORT} and --allow-port), not \
             {port}"
        ),
    }
}

/// The rules for every outgoing connection of a scan.
#[derive(Debug, Clone)]
pub struct Egress {
    pub connect_to: Vec<ConnectTo>,
    pub policy: AddressPolicy,
    pub resolver: Arc<dyn Resolve>,
}

impl Egress {
    /// The port rule alone (refusals that need no lookup).
    pub fn check_port(&self, purpose: Purpose, port: u16) -> Result<(), EgressError> {
        let allowed = match purpose {
            Purpose::Target | Purpose::Webhook => self.policy.check_port(port).is_ok(),
            Purpose::PlainHttp => port == 80,
            Purpose::IssuerFetch => {
                port == 80 || port == DEFAULT_PORT || self.policy.lists_port(port)
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(EgressError::Port { purpose, port })
        }
    }

    /// Where a connection to `host:port` for the scanned server goes: the `--connect-to`
    /// mapping, or the first IPv4 address the name resolves to (the first address when it has
    /// none), every resolved address checked.
    pub async fn target(
        &self,
        host: &Host,
        port: u16,
        lookup_timeout: Duration,
    ) -> Result<Endpoint, EgressError> {
        self.check_port(Purpose::Target, port)?;
        self.resolve_checked(host, port, lookup_timeout).await
    }

    /// The decision for the scanned server when it needs no lookup (a `--connect-to` rule
    /// or an IP literal); `None` when it does.
    pub fn target_without_lookup(
        &self,
        host: &Host,
        port: u16,
    ) -> Option<Result<Endpoint, EgressError>> {
        if let Err(e) = self.check_port(Purpose::Target, port) {
            return Some(Err(e));
        }
        let address = match connect_to::lookup(&self.connect_to, host, port) {
            Some(mapped) => mapped,
            None => SocketAddr::new(host.ip()?, port),
        };
        Some(self.check_address(host, address.ip()).map(|()| Endpoint {
            address,
            resolved: vec![address.ip()],
        }))
    }

    /// Where the redirect check of the scanned `host` goes: port 80 of the address the scan
    /// already checked (no second lookup), or where a `--connect-to` rule for port 80 sends it.
    pub fn plain_http(&self, host: &Host, scanned: &Endpoint) -> Result<SocketAddr, EgressError> {
        let port = 80;
        self.check_port(Purpose::PlainHttp, port)?;
        let address = connect_to::lookup(&self.connect_to, host, port)
            .unwrap_or(SocketAddr::new(scanned.address.ip(), port));
        self.check_address(host, address.ip())?;
        Ok(address)
    }

    /// Where the fetch of an issuer URL's `host:port` goes, for a scan of `scanned`.
    pub async fn issuer(
        &self,
        host: &Host,
        port: u16,
        scanned: &Endpoint,
        lookup_timeout: Duration,
    ) -> Result<Endpoint, EgressError> {
        self.check_port(Purpose::IssuerFetch, port)?;
        let endpoint = self.resolve_checked(host, port, lookup_timeout).await?;
        let scanned_public = scanned
            .resolved
            .iter()
            .all(|ip| address_policy::is_public(*ip));
        if scanned_public
            && let Some(inside) = endpoint
                .resolved
                .iter()
                .chain(std::iter::once(&endpoint.address.ip()))
                .find(|ip| !address_policy::is_public(**ip))
        {
            return Err(EgressError::IssuerNotPublic {
                host: host.to_string(),
                address: *inside,
            });
        }
        Ok(endpoint)
    }

    /// Where a webhook POST to `host:port` goes: the same rules as a scan target's (one
    /// lookup, every address checked), so a webhook cannot reach what a scan may not.
    pub async fn webhook(
        &self,
        host: &Host,
        port: u16,
        lookup_timeout: Duration,
    ) -> Result<Endpoint, EgressError> {
        self.check_port(Purpose::Webhook, port)?;
        self.resolve_checked(host, port, lookup_timeout).await
    }

    fn check_address(&self, host: &Host, ip: IpAddr) -> Result<(), EgressError> {
        self.policy.check(ip).map_err(|_| EgressError::Address {
            host: host.to_string(),
            address: ip,
        })
    }

    async fn resolve_checked(
        &self,
        host: &Host,
        port: u16,
        lookup_timeout: Duration,
    ) -> Result<Endpoint, EgressError> {
        let host_text = host.to_string();
        let (address, resolved) =
            if let Some(mapped) = connect_to::lookup(&self.connect_to, host, port) {
                (mapped, vec![mapped.ip()])
            } else {
                let resolved = match host {
                    Host::Ip(ip) => vec![*ip],
                    Host::Name(name) => {
                        tokio::time::timeout(lookup_timeout, self.resolver.lookup(name))
                            .await
                            .map_err(|_| EgressError::ResolveTimeout {
                                host: host_text.clone(),
                                after: lookup_timeout,
                            })?
                            .map_err(|e| EgressError::Resolve {
                                host: host_text.clone(),
                                reason: e.to_string(),
                            })?
                    }
                };
                // Prefer IPv4: it is what most clients reach first.
                let first = resolved
                    .iter()
                    .find(|ip| ip.is_ipv4())
                    .or_else(|| resolved.first())
                    .copied()
                    .ok_or_else(|| EgressError::NoAddresses {
                        host: host_text.clone(),
                    })?;
                (SocketAddr::new(first, port), resolved)
            };
        // Every address is checked: a name that also points inside is refused outright.
        for ip in resolved.iter().chain(std::iter::once(&address.ip())) {
            self.check_address(host, *ip)?;
        }
        Ok(Endpoint { address, resolved })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::address_policy::PortRange;
    use crate::target::resolve::StaticResolver;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn name(text: &str) -> Host {
        Host::Name(text.into())
    }

    fn egress(policy: AddressPolicy, resolver: StaticResolver) -> Egress {
        Egress {
            connect_to: Vec::new(),
            policy,
            resolver: Arc::new(resolver),
        }
    }

    const WAIT: Duration = Duration::from_secs(5);

    fn public_endpoint() -> Endpoint {
        Endpoint {
            address: SocketAddr::new(ip("151.101.1.69"), 443),
            resolved: vec![ip("151.101.1.69")],
        }
    }

    #[tokio::test]
    async fn a_name_with_one_private_address_is_refused_without_naming_it() {
        let resolver =
            StaticResolver::new().with("vault.corp.test", &[ip("93.184.215.14"), ip("10.3.4.5")]);
        let egress = egress(AddressPolicy::default(), resolver);
        let error = egress
            .target(&name("vault.corp.test"), 443, WAIT)
            .await
            .unwrap_err();
        assert_eq!(error.refused_address(), Some(ip("10.3.4.5")));
        let text = error.to_string();
        assert!(text.contains("non-public"), "{text}");
        assert!(
            !text.contains("10.3.4.5"),
            "the refusal leaks the address: {text}"
        );
    }

    #[tokio::test]
    async fn targets_follow_the_port_list_and_the_cli_allows_any_port() {
        let resolver = StaticResolver::new().with("site.test", &[ip("93.184.215.14")]);
        let server = egress(
            AddressPolicy::default().with_ports(&[PortRange::single(8443)]),
            resolver.clone(),
        );
        assert!(server.target(&name("site.test"), 8443, WAIT).await.is_ok());
        assert_eq!(
            server
                .target(&name("site.test"), 22, WAIT)
                .await
                .unwrap_err(),
            EgressError::Port {
                purpose: Purpose::Target,
                port: 22
            }
        );
        let cli = egress(AddressPolicy::allow_all(), resolver);
        assert!(cli.target(&name("site.test"), 22, WAIT).await.is_ok());
    }

    #[tokio::test]
    async fn issuer_urls_reach_only_80_443_and_listed_ports_even_where_targets_may_name_any() {
        let resolver = StaticResolver::new().with("ca.test", &[ip("9.9.9.9")]);
        let cli = egress(AddressPolicy::allow_all(), resolver.clone());
        let scanned = public_endpoint();
        for port in [80, 443] {
            assert!(
                cli.issuer(&name("ca.test"), port, &scanned, WAIT)
                    .await
                    .is_ok()
            );
        }
        for port in [22, 6379, 8080] {
            assert_eq!(
                cli.issuer(&name("ca.test"), port, &scanned, WAIT)
                    .await
                    .unwrap_err(),
                EgressError::Port {
                    purpose: Purpose::IssuerFetch,
                    port
                }
            );
        }
        let listed = egress(
            AddressPolicy::default().with_ports(&[PortRange::single(8080)]),
            resolver,
        );
        assert!(
            listed
                .issuer(&name("ca.test"), 8080, &scanned, WAIT)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_public_sites_issuer_url_may_not_point_inside_even_under_allow_private() {
        let resolver = StaticResolver::new().with("ca.test", &[ip("127.0.0.1")]);
        let open = egress(AddressPolicy::default().with_any_address(), resolver);
        let error = open
            .issuer(&name("ca.test"), 80, &public_endpoint(), WAIT)
            .await
            .unwrap_err();
        assert!(
            matches!(error, EgressError::IssuerNotPublic { .. }),
            "{error:?}"
        );
        assert!(!error.to_string().contains("127.0.0.1"));
        // A private server's own CA may live next to it.
        let private = Endpoint {
            address: SocketAddr::new(ip("10.0.0.5"), 443),
            resolved: vec![ip("10.0.0.5")],
        };
        assert!(
            open.issuer(&name("ca.test"), 80, &private, WAIT)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_redirect_check_reuses_the_checked_address_or_a_port_80_mapping() {
        let mut egress = egress(AddressPolicy::allow_all(), StaticResolver::new());
        let scanned = public_endpoint();
        assert_eq!(
            egress.plain_http(&name("site.test"), &scanned).unwrap(),
            SocketAddr::new(ip("151.101.1.69"), 80)
        );
        egress.connect_to = vec![ConnectTo::parse("site.test:80:127.0.0.1:8080").unwrap()];
        assert_eq!(
            egress.plain_http(&name("site.test"), &scanned).unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
    }

    #[test]
    fn each_address_is_an_endpoint_preferred_first_then_ipv4_then_ipv6() {
        let endpoint = Endpoint {
            address: SocketAddr::new(ip("9.9.9.9"), 443),
            resolved: vec![ip("2620:fe::9"), ip("9.9.9.9"), ip("149.112.112.112")],
        };
        let addresses: Vec<SocketAddr> = endpoint.each().iter().map(|e| e.address).collect();
        assert_eq!(
            addresses,
            [
                "9.9.9.9:443".parse::<SocketAddr>().unwrap(),
                "149.112.112.112:443".parse().unwrap(),
                "[2620:fe::9]:443".parse().unwrap(),
            ]
        );
    }

    #[tokio::test]
    async fn lookups_are_bounded_by_their_timeout() {
        #[derive(Debug)]
        struct Silent;
        impl Resolve for Silent {
            fn lookup<'a>(&'a self, _host: &'a str) -> crate::target::resolve::LookupFuture<'a> {
                Box::pin(std::future::pending())
            }
        }
        let egress = Egress {
            connect_to: Vec::new(),
            policy: AddressPolicy::allow_all(),
            resolver: Arc::new(Silent),
        };
        let error = egress
            .target(&name("slow.test"), 443, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(
            matches!(error, EgressError::ResolveTimeout { .. }),
            "{error:?}"
        );
    }
}
