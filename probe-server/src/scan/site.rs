//! What a scan learns about the name rather than an address: its CAA and HTTPS records
//! (looked up while the handshakes run, once for all the name's addresses) and its entry on
//! the bundled HSTS preload list.

use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use shared::{CheckError, ScanMode, Step};

use crate::assess::report::SiteFacts;
use crate::target::Host;
use crate::target::connect_to;
use crate::target::dns_policy::{self, DnsPolicyError};
use crate::target::hsts_preload;

use super::{ScanRequest, Scanner};

/// The name's facts as they come: every address's scan awaits the same lookups.
pub(super) type SiteLookup = Shared<BoxFuture<'static, (SiteFacts, Option<CheckError>)>>;

impl Scanner {
    /// Starts the name's lookups at once (they run beside the handshakes). DNS records are
    /// asked only in a full scan of a DNS name that no `--connect-to` rule maps: a mapped
    /// name is a test's or an operator's invention, never to be asked of real DNS.
    pub(super) fn site_lookup(&self, request: &ScanRequest) -> SiteLookup {
        let target = &request.target;
        let Host::Name(name) = target.host() else {
            return futures_util::future::ready((SiteFacts::default(), None))
                .boxed()
                .shared();
        };
        // The first lookup unpacks the bundled list (CPU work): off the async threads.
        let preload = {
            let name = name.clone();
            tokio::task::spawn_blocking(move || hsts_preload::lookup(&name))
        };
        let mapped =
            connect_to::lookup(&self.egress.connect_to, target.host(), target.port()).is_some();
        let dns = (request.mode == ScanMode::Full && !mapped).then(|| {
            let resolver = Arc::clone(&self.egress.resolver);
            let (name, port) = (name.clone(), target.port());
            let timeout = self.timeouts.connect;
            tokio::spawn(async move {
                dns_policy::look_up(resolver.as_ref(), &name, port, timeout).await
            })
        });
        async move {
            let preload = preload.await.ok();
            let Some(task) = dns else {
                let facts = SiteFacts {
                    dns: None,
                    hsts_preload: preload,
                };
                return (facts, None);
            };
            let (dns, error) = match task.await {
                Ok(Ok(dns)) => (Some(dns), None),
                // A test table knows addresses only: nothing looked up, nothing failed.
                Ok(Err(DnsPolicyError::Unsupported)) => (None, None),
                Ok(Err(e)) => (None, Some(e.to_string())),
                Err(e) => (None, Some(format!("the DNS lookups stopped: {e}"))),
            };
            let error = error.map(|message| CheckError {
                check: Step::DnsPolicy.to_string(),
                message,
            });
            (
                SiteFacts {
                    dns,
                    hsts_preload: preload,
                },
                error,
            )
        }
        .boxed()
        .shared()
    }
}

/// The facts the provisional report of a full scan carries: what is known by now (it does
/// not wait for DNS).
pub(super) fn so_far(lookup: &SiteLookup) -> SiteFacts {
    lookup
        .peek()
        .map(|(facts, _)| facts.clone())
        .unwrap_or_default()
}
