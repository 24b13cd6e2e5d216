//! Name resolution, behind a trait so tests (and the SSRF tests in particular) can answer
//! with whatever addresses they need without touching the system resolver.
//!
//! A scan resolves its target once and connects only to an address it checked (see
//! `Scanner::endpoint`); the stub resolvers here count their lookups so tests can prove it,
//! and [`RebindingResolver`] changes its answer between calls as a DNS-rebinding attacker's
//! name server would.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hickory_resolver::config::{LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{ResolverBuilder, TokioResolver};
use tokio::sync::Semaphore;

/// A boxed future of a lookup.
pub type LookupFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// A boxed future of a lookup of other records than addresses.
pub type RecordsFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<RData>>> + Send + 'a>>;

/// Resolves a host name to its addresses.
pub trait Resolve: Send + Sync + std::fmt::Debug {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a>;

    /// The records of type `kind` at `name` (CAA, HTTPS, ...): empty when the name or such
    /// records do not exist. A resolver that knows only addresses (the test tables) says
    /// so with `Unsupported`, and the scan reports the records as not looked up.
    fn records<'a>(&'a self, _name: &'a str, _kind: RecordType) -> RecordsFuture<'a> {
        Box::pin(async {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this resolver answers addresses only",
            ))
        })
    }
}

/// How long one DNS query may take before the next attempt, and how many attempts a name
/// server gets. A lookup ends after at most about `QUERY_TIMEOUT × QUERY_ATTEMPTS` per
/// family, whatever the name server does: the async resolver owns no thread that could
/// outlive it (`getaddrinfo` on a blocking thread did, and piled up behind silent servers).
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// See [`QUERY_TIMEOUT`].
pub const QUERY_ATTEMPTS: usize = 2;
/// Lookups in flight at once, over all scans; more wait for a place, within their caller's
/// timeout. A flood of names whose server never answers holds at most this many.
pub const MAX_LOOKUPS_IN_FLIGHT: usize = 64;

/// The system's DNS configuration (`/etc/resolv.conf`, `/etc/hosts`) through an async
/// resolver (hickory) with its own timeouts and attempts, and a bound on lookups in flight.
#[derive(Clone)]
pub struct SystemResolver {
    resolver: TokioResolver,
    in_flight: Arc<Semaphore>,
}

impl std::fmt::Debug for SystemResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemResolver")
            .field("in_flight_free", &self.in_flight.available_permits())
            .finish_non_exhaustive()
    }
}

impl SystemResolver {
    /// Reads the system's configuration. Fails when there is none to read (no
    /// `/etc/resolv.conf`): the caller says so rather than scanning with no DNS.
    pub fn from_system_conf() -> io::Result<Self> {
        let builder = TokioResolver::builder_tokio()
            .map_err(|e| io::Error::other(format!("reading the DNS configuration: {e}")))?;
        Self::build(builder)
    }

    /// Asks only `servers` (`address:port`), as a test's own DNS server; `/etc/hosts` is
    /// not read.
    pub fn with_name_servers(servers: &[SocketAddr]) -> io::Result<Self> {
        let name_servers = servers
            .iter()
            .map(|server| {
                let mut config = NameServerConfig::udp(server.ip());
                for connection in &mut config.connections {
                    connection.port = server.port();
                }
                config
            })
            .collect();
        let mut builder = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(name_servers),
            TokioRuntimeProvider::default(),
        );
        builder.options_mut().use_hosts_file = ResolveHosts::Never;
        Self::build(builder)
    }

    fn build(mut builder: ResolverBuilder<TokioRuntimeProvider>) -> io::Result<Self> {
        let options = builder.options_mut();
        options.timeout = QUERY_TIMEOUT;
        options.attempts = QUERY_ATTEMPTS;
        // Both families: a site is what all its addresses serve.
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        let resolver = builder
            .build()
            .map_err(|e| io::Error::other(format!("building the DNS resolver: {e}")))?;
        Ok(Self {
            resolver,
            in_flight: Arc::new(Semaphore::new(MAX_LOOKUPS_IN_FLIGHT)),
        })
    }
}

impl Resolve for SystemResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let _place = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| io::Error::other("the resolver is closed"))?;
            // A trailing dot: the name is absolute, no search domain is tried.
            let absolute = format!("{}.", host.trim_end_matches('.'));
            let answer = self
                .resolver
                .lookup_ip(absolute.as_str())
                .await
                .map_err(|e| {
                    if e.is_nx_domain() || e.is_no_records_found() {
                        io::Error::new(io::ErrorKind::NotFound, "no such host")
                    } else {
                        io::Error::other(format!("DNS lookup failed: {e}"))
                    }
                })?;
            let mut addresses: Vec<IpAddr> = Vec::new();
            for ip in answer.iter() {
                if !addresses.contains(&ip) {
                    addresses.push(ip);
                }
            }
            Ok(addresses)
        })
    }

    fn records<'a>(&'a self, name: &'a str, kind: RecordType) -> RecordsFuture<'a> {
        Box::pin(async move {
            let _place = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| io::Error::other("the resolver is closed"))?;
            let absolute = format!("{}.", name.trim_end_matches('.'));
            match self.resolver.lookup(absolute.as_str(), kind).await {
                // CNAMEs on the way are followed by the resolver; keep only the asked type.
                Ok(answer) => Ok(answer
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == kind)
                    .map(|r| r.data.clone())
                    .collect()),
                Err(e) if e.is_nx_domain() || e.is_no_records_found() => Ok(Vec::new()),
                Err(e) => Err(io::Error::other(format!("DNS lookup failed: {e}"))),
            }
        })
    }
}

/// The system's resolver, or — where the system has no DNS configuration — one that says
/// so on every lookup (a scan of an IP address or a `--connect-to` mapping still works).
pub fn system() -> Arc<dyn Resolve> {
    match SystemResolver::from_system_conf() {
        Ok(resolver) => Arc::new(resolver),
        Err(e) => Arc::new(NoResolver(e.to_string())),
    }
}

/// Fails every lookup with the reason there is no resolver.
#[derive(Debug)]
pub struct NoResolver(pub String);

impl Resolve for NoResolver {
    fn lookup<'a>(&'a self, _host: &'a str) -> LookupFuture<'a> {
        let reason = self.0.clone();
        Box::pin(async move { Err(io::Error::other(reason)) })
    }
}

/// A fixed table of names, for tests: unknown names fail like NXDOMAIN. Clones share one
/// lookup counter.
#[derive(Debug, Default, Clone)]
pub struct StaticResolver {
    table: HashMap<String, Vec<IpAddr>>,
    lookups: Arc<AtomicUsize>,
}

impl StaticResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many lookups were asked of this resolver (and its clones) so far.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }

    /// Adds `name → addresses`.
    #[must_use]
    pub fn with(mut self, name: &str, addresses: &[IpAddr]) -> Self {
        self.table
            .insert(name.to_ascii_lowercase(), addresses.to_vec());
        self
    }
}

impl Resolve for StaticResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let answer = self
            .table
            .get(&host.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, "no such host (static resolver)")
            });
        Box::pin(async move { answer })
    }
}

/// Answers one name with a different list of addresses on each call, as the name server of
/// a DNS-rebinding attack does (a harmless address first, an internal one next); after the
/// last answer it keeps giving the last. Other names fail like NXDOMAIN. For tests.
#[derive(Debug, Clone)]
pub struct RebindingResolver {
    name: String,
    answers: Arc<Vec<Vec<IpAddr>>>,
    lookups: Arc<AtomicUsize>,
}

impl RebindingResolver {
    /// `name` resolves to `answers[0]`, then `answers[1]`, ... and then the last one forever.
    pub fn new(name: &str, answers: Vec<Vec<IpAddr>>) -> Self {
        Self {
            name: name.to_ascii_lowercase(),
            answers: Arc::new(answers),
            lookups: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many lookups were asked so far.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Resolve for RebindingResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        let answer = if host.eq_ignore_ascii_case(&self.name) {
            let call = self.lookups.fetch_add(1, Ordering::SeqCst);
            let index = call.min(self.answers.len().saturating_sub(1));
            Ok(self.answers.get(index).cloned().unwrap_or_default())
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no such host (rebinding resolver)",
            ))
        };
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use hickory_resolver::proto::op::{Message, MessageType, OpCode, ResponseCode};
    use hickory_resolver::proto::rr::{RData, Record, RecordType, rdata};
    use tokio::net::UdpSocket;

    /// A DNS server on loopback that answers `good.test` (A and AAAA) and says NXDOMAIN to
    /// everything else; `silent`: it reads queries and never answers. Stops with the test's
    /// runtime.
    async fn dns_server(silent: bool) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = [0u8; 1500];
            while let Ok((n, from)) = socket.recv_from(&mut buffer).await {
                if silent {
                    continue;
                }
                let Ok(query) = Message::from_vec(&buffer[..n]) else {
                    continue;
                };
                let mut answer =
                    Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
                answer.metadata.recursion_desired = true;
                answer.metadata.recursion_available = true;
                answer.add_queries(query.queries.iter().cloned());
                for q in &query.queries {
                    let name = q.name().clone();
                    if !name.to_ascii().eq_ignore_ascii_case("good.test.") {
                        answer.metadata.response_code = ResponseCode::NXDomain;
                        continue;
                    }
                    let data = match q.query_type() {
                        RecordType::A => RData::A(rdata::A::new(192, 0, 2, 7)),
                        RecordType::AAAA => {
                            RData::AAAA(rdata::AAAA::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7))
                        }
                        _ => continue,
                    };
                    answer.add_answer(Record::from_rdata(name, 60, data));
                }
                if let Ok(bytes) = answer.to_vec() {
                    let _ = socket.send_to(&bytes, from).await;
                }
            }
        });
        address
    }

    #[tokio::test]
    async fn system_resolver_asks_its_name_server_for_both_families() {
        let server = dns_server(false).await;
        let resolver = SystemResolver::with_name_servers(&[server]).unwrap();
        let mut found = resolver.lookup("Good.Test").await.unwrap();
        found.sort();
        assert_eq!(found, vec![ip("192.0.2.7"), ip("2001:db8::7")]);
        let missing = resolver.lookup("missing.test").await.unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound, "{missing}");
    }

    /// Names whose server never answers: every lookup ends by itself (no thread left behind
    /// to pile up), even when many more are asked at once than may be in flight.
    #[tokio::test]
    async fn lookups_against_a_silent_server_end_within_their_own_timeout() {
        let server = dns_server(true).await;
        let resolver = Arc::new(SystemResolver::with_name_servers(&[server]).unwrap());
        // Per family: attempts × timeout; the families run in parallel; waiting for a place
        // adds one more such round for the lookups beyond the bound.
        let round = QUERY_TIMEOUT * QUERY_ATTEMPTS as u32;
        let bound = round * 3 + Duration::from_secs(2);
        let lookups = (0..MAX_LOOKUPS_IN_FLIGHT * 2).map(|i| {
            let resolver = resolver.clone();
            async move {
                let name = format!("n{i}.silent.test");
                tokio::time::timeout(bound, resolver.lookup(&name)).await
            }
        });
        let answers = futures_util::future::join_all(lookups).await;
        assert_eq!(answers.len(), MAX_LOOKUPS_IN_FLIGHT * 2);
        for answer in answers {
            let answer = answer.expect("a lookup outlived its own timeouts");
            assert!(
                answer.is_err(),
                "a silent server gave addresses: {answer:?}"
            );
        }
        assert_eq!(
            resolver.in_flight.available_permits(),
            MAX_LOOKUPS_IN_FLIGHT
        );
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn static_resolver_answers_its_table_and_counts() {
        let resolver = StaticResolver::new().with("Good.Test", &[ip("192.0.2.1")]);
        let clone = resolver.clone();
        assert_eq!(
            clone.lookup("good.test").await.unwrap(),
            vec![ip("192.0.2.1")]
        );
        assert_eq!(
            resolver.lookup("other.test").await.unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(resolver.lookups(), 2);
    }

    #[tokio::test]
    async fn rebinding_resolver_changes_its_answer_then_keeps_the_last() {
        let resolver = RebindingResolver::new(
            "rebind.test",
            vec![vec![ip("203.0.113.5")], vec![ip("127.0.0.1")]],
        );
        assert_eq!(
            resolver.lookup("rebind.test").await.unwrap(),
            vec![ip("203.0.113.5")]
        );
        assert_eq!(
            resolver.lookup("REBIND.test").await.unwrap(),
            vec![ip("127.0.0.1")]
        );
        assert_eq!(
            resolver.lookup("rebind.test").await.unwrap(),
            vec![ip("127.0.0.1")]
        );
        assert!(resolver.lookup("other.test").await.is_err());
        assert_eq!(resolver.lookups(), 3);
    }
}
