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
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A boxed future of a lookup.
pub type LookupFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Resolves a host name to its addresses.
pub trait Resolve: Send + Sync + std::fmt::Debug {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a>;
}

/// The operating system's resolver (`getaddrinfo`), run off the async threads by tokio.
#[derive(Debug, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> LookupFuture<'a> {
        Box::pin(async move {
            let mut addresses: Vec<IpAddr> = Vec::new();
            for addr in tokio::net::lookup_host((host, 0)).await? {
                if !addresses.contains(&addr.ip()) {
                    addresses.push(addr.ip());
                }
            }
            Ok(addresses)
        })
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
