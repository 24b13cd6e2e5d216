//! Name resolution, behind a trait so tests (and the SSRF tests in particular) can answer
//! with whatever addresses they need without touching the system resolver.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;

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

/// A fixed table of names, for tests: unknown names fail like NXDOMAIN.
#[derive(Debug, Default, Clone)]
pub struct StaticResolver {
    table: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    pub fn new() -> Self {
        Self::default()
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
