//! One scan, start to finish, in stages:
//!
//! 1. the target's endpoint ([`crate::target::egress`]: resolved once, every address
//!    checked; every later connection of the scan is decided there too);
//! 2. the verified stage ([`crate::verified::stage`]: rustls as a browser, the HTTP layer,
//!    resumption) and the chain's trust ([`chain`]) — enough for the quick report, which a
//!    full scan streams at once;
//! 3. (full scan, started with 2) the survey ([`crate::survey`]): raw handshakes for every
//!    version, suite, group and attack;
//! 4. [`crate::assess::report`]: observations → checks → rating → the report.

mod chain;
mod ct;
mod endpoints;
pub mod settings;
mod site;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use shared::{CheckError, Report, ScanMode, ScanProgress, TargetInfo};
use time::OffsetDateTime;

use self::chain::ChainContext;
use crate::assess::report::{Assembly, assemble};
use crate::error::ProbeError;
use crate::pki::OtherChain;
use crate::pki::trust::TrustStore;
use crate::survey::{self, SurveyRequest, prober::DEFAULT_CONNECTIONS};
use crate::target::Target;
use crate::target::address_policy::AddressPolicy;
use crate::target::egress::{Egress, EgressError, Endpoint};
use crate::target::names::ScanNames;
use crate::verified::served_chains::served_to;
use crate::verified::stage::{self, Slots, StageRequest, StageTimeouts};

/// Time limits. Each step has its own; the whole scan has one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub handshake: Duration,
    pub http: Duration,
    pub scan: Duration,
    /// The longest a connection waits for the server's first byte after its hello: a
    /// tarpit fails the scan in this time, not in `handshake` or `scan`.
    pub first_byte: Duration,
}

impl Timeouts {
    /// Limits fitted into a whole-scan budget: each step gets at most its default, and never
    /// more than the budget.
    pub fn within(scan: Duration) -> Self {
        Self {
            connect: scan.min(Duration::from_secs(5)),
            handshake: scan.min(Duration::from_secs(8)),
            http: scan.min(Duration::from_secs(5)),
            scan,
            first_byte: scan.min(crate::verified::client::DEFAULT_FIRST_BYTE_TIMEOUT),
        }
    }
}

impl Timeouts {
    /// The verified stage's share.
    pub fn stage(&self) -> StageTimeouts {
        StageTimeouts {
            connect: self.connect,
            handshake: self.handshake,
            http: self.http,
            first_byte: self.first_byte,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::within(Duration::from_secs(30))
    }
}

/// Everything a scan needs besides its target. Built once, shared by every scan.
#[derive(Debug, Clone)]
pub struct Scanner {
    pub trust: TrustStore,
    /// Where any connection of a scan may go.
    pub egress: Egress,
    pub timeouts: Timeouts,
    /// Connections in flight to one host at most, for the whole scan (each address of a
    /// name has its own cap).
    pub connections: usize,
    /// Addresses of one name a full scan covers at most.
    pub max_endpoints: usize,
    /// The CT logs SCTs are verified against: the bundled list, plus `--ct-log-list`.
    pub ct_logs: std::sync::Arc<crate::pki::ct::LogList>,
}

/// Addresses of one name a full scan covers by default (SSL Labs scans every address; a
/// bound keeps a name with a hundred records from becoming a hundred scans).
pub const DEFAULT_MAX_ENDPOINTS: usize = 8;

/// What one scan is asked to do.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub target: Target,
    /// The server name to send and verify instead of the host (`--sni`).
    pub sni: Option<String>,
    pub mode: ScanMode,
    /// Scan only this address of the name (`--endpoint`); it must be one the name resolves
    /// to. `None`: a full scan covers every address (up to [`Scanner::max_endpoints`]), a
    /// quick one the preferred address.
    pub endpoint: Option<IpAddr>,
}

/// An intermediate result of a scan, for streaming.
#[derive(Debug, Clone)]
pub enum ScanUpdate {
    /// The verified handshake is done: a provisional report (`scan_mode` quick).
    Quick(Box<Report>),
    /// A step of the full scan finished.
    Progress(shared::ScanProgress),
}

/// Where a scan sends its [`ScanUpdate`]s.
pub type UpdateSender = tokio::sync::mpsc::UnboundedSender<ScanUpdate>;
impl Scanner {
    /// A scanner for the CLI: every address allowed, the system resolver, default timeouts.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            ct_logs: crate::pki::ct::LogList::bundled(),
            trust,
            egress: Egress {
                connect_to: Vec::new(),
                policy: AddressPolicy::allow_all(),
                resolver: crate::target::resolve::system(),
            },
            timeouts: Timeouts::default(),
            connections: DEFAULT_CONNECTIONS,
            max_endpoints: DEFAULT_MAX_ENDPOINTS,
        }
    }

    /// Scans and reports, or says why there is nothing to report.
    pub async fn scan(&self, request: &ScanRequest) -> Result<Report, ProbeError> {
        self.scan_with_updates(request, None).await
    }

    /// Like [`Scanner::scan`], and sends intermediate results to `updates` as they come: a
    /// full scan sends [`ScanUpdate::Quick`] (a provisional report) as soon as the verified
    /// handshake is done, then [`ScanUpdate::Progress`] after each step. The final report is
    /// the return value. A closed receiver does not stop the scan.
    pub async fn scan_with_updates(
        &self,
        request: &ScanRequest,
        updates: Option<UpdateSender>,
    ) -> Result<Report, ProbeError> {
        let budget = self.timeouts.scan;
        tokio::time::timeout(budget, self.scan_unbounded(request, updates.as_ref()))
            .await
            .map_err(|_| ProbeError::Timeout {
                what: format!("the scan of {}", request.target),
                after: budget,
            })?
    }

    async fn scan_unbounded(
        &self,
        request: &ScanRequest,
        updates: Option<&UpdateSender>,
    ) -> Result<Report, ProbeError> {
        let started = Instant::now();
        let target = &request.target;
        // The name's DNS records, asked while everything else runs.
        let site = self.site_lookup(request);
        let resolved = self
            .egress
            .target(target.host(), target.port(), self.timeouts.connect)
            .await?;
        let names = ScanNames::of(target, request.sni.as_deref())?;
        let every = resolved.each();
        let chosen: Vec<Endpoint> = match request.endpoint {
            Some(ip) => vec![
                every
                    .into_iter()
                    .find(|e| e.address.ip() == ip)
                    .ok_or_else(|| {
                        ProbeError::invalid_target(
                            &ip.to_string(),
                            format!("{} does not resolve to this address", target.host()),
                        )
                    })?,
            ],
            None if request.mode == ScanMode::Quick => vec![resolved.clone()],
            None => every.into_iter().take(self.max_endpoints.max(1)).collect(),
        };
        if let [only] = chosen.as_slice() {
            return self
                .scan_endpoint(request, &names, only, started, updates, &site)
                .await;
        }
        // Every address at once, each under its own connection cap; the stream follows the
        // preferred address (the first), which is also what the quick verdict describes.
        let scans = chosen.iter().enumerate().map(|(i, endpoint)| {
            let names = &names;
            let site = &site;
            async move {
                let updates = if i == 0 { updates } else { None };
                let outcome = self
                    .scan_endpoint(request, names, endpoint, started, updates, site)
                    .await;
                (endpoint.address.ip(), outcome)
            }
        });
        let outcomes = futures_util::future::join_all(scans).await;
        endpoints::combine(outcomes, started)
    }

    /// The scan of one address.
    async fn scan_endpoint(
        &self,
        request: &ScanRequest,
        names: &ScanNames,
        endpoint: &Endpoint,
        started: Instant,
        updates: Option<&UpdateSender>,
        site: &site::SiteLookup,
    ) -> Result<Report, ProbeError> {
        let scanned_at = OffsetDateTime::now_utc();
        let target = &request.target;
        let names = names.clone();
        let endpoint = endpoint.clone();
        let connections = AtomicU32::new(0);
        let full = request.mode == ScanMode::Full;

        // One cap on connections in flight to the host, shared by both stages. The verified
        // handshake takes its slot first: the quick verdict should not queue behind the survey.
        let capacity = self.connections.max(1);
        let slots = Arc::new(tokio::sync::Semaphore::new(capacity));
        let first_slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ProbeError::Internal("the connection cap closed".into()))?;

        // 3. starts at once: the survey needs nothing from the verified stage, so a full scan
        // runs both together. Its progress is held back until the quick report has gone out,
        // so that a stream reads quick, progress, report.
        let mut held_progress = None;
        let survey = full.then(|| {
            let request = SurveyRequest {
                address: endpoint.address,
                server_name: names.sni.clone(),
                connections: capacity,
                slots: Some(slots.clone()),
                first_byte: self.timeouts.first_byte,
                // Less a margin to assemble the report.
                deadline: started
                    + self
                        .timeouts
                        .scan
                        .saturating_sub(Duration::from_millis(300)),
            };
            let progress = updates.map(|_| {
                let (sender, held) = tokio::sync::mpsc::unbounded_channel::<ScanProgress>();
                held_progress = Some(held);
                sender
            });
            AbortOnDrop(tokio::spawn(async move {
                survey::run(&request, progress.as_ref()).await
            }))
        });

        // 2. The verified handshake, the HTTP layer, and the chain's trust.
        let mut stage = stage::run(
            StageRequest {
                target,
                endpoint: &endpoint,
                names: &names,
                egress: &self.egress,
                full,
                timeouts: self.timeouts.stage(),
            },
            Slots {
                shared: &slots,
                first: first_slot,
            },
            &connections,
        )
        .await?;
        let chain_context = ChainContext {
            names: &names,
            endpoint: &endpoint,
            slots: &slots,
            connections: &connections,
        };
        let target_info = TargetInfo {
            host: target.host().to_string(),
            port: target.port(),
            sni: names.sni.clone(),
            ip: endpoint.address.ip(),
            resolved_addresses: endpoint.resolved.clone(),
        };
        let mut judged = None;
        if !stage.chain.is_empty() {
            judged = Some(
                self.judge_chain(&stage.chain, &stage.ocsp, &chain_context, &mut stage.errors)
                    .await,
            );
        }
        // Each other chain the server serves, judged like the first (its findings count).
        let mut other_chains = Vec::new();
        for served in std::mem::take(&mut stage.other_chains) {
            let judged = self
                .judge_chain(
                    &served.chain,
                    &served.ocsp,
                    &chain_context,
                    &mut stage.errors,
                )
                .await;
            other_chains.push(OtherChain {
                key_type: judged
                    .certificates
                    .first()
                    .map(|leaf| leaf.summary.key.algorithm.clone())
                    .unwrap_or_default(),
                served_to: served_to(&served.offered),
                judged,
            });
        }
        if !full {
            // A quick scan asks no DNS records: this is the preload list alone.
            let (facts, _) = site.clone().await;
            if judged.is_none() {
                // No modern client could connect: fetch the chain with one raw hello.
                let prober = survey::prober::Prober::new(
                    endpoint.address,
                    names.sni.clone(),
                    1,
                    started + self.timeouts.scan,
                )
                .with_first_byte_timeout(self.timeouts.first_byte);
                let (chain, ocsp) = survey::fetch_chain(&prober).await;
                connections.fetch_add(prober.connections() as u32, Ordering::Relaxed);
                if chain.is_empty() {
                    return Err(no_handshake(&endpoint, &stage.errors));
                }
                judged = Some(
                    self.judge_chain(&chain, &ocsp, &chain_context, &mut stage.errors)
                        .await,
                );
            }
            let ct = self.judge_ct(judged.as_ref(), None, &mut stage.errors);
            let quick = assemble(
                Assembly::quick(
                    &stage,
                    judged.as_ref(),
                    target_info,
                    scanned_at,
                    started,
                    &connections,
                )
                .with_site(facts)
                .with_ct(ct)
                .with_other_chains(other_chains),
            );
            return Ok(quick);
        }
        if let (Some(judged), Some(updates)) = (judged.as_ref(), updates) {
            let ct = self.judge_ct(Some(judged), None, &mut Vec::new());
            let quick = assemble(
                Assembly::quick(
                    &stage,
                    Some(judged),
                    target_info.clone(),
                    scanned_at,
                    started,
                    &connections,
                )
                .with_site(site::so_far(site))
                .with_ct(ct)
                .with_other_chains(other_chains.clone()),
            );
            let _ = updates.send(ScanUpdate::Quick(Box::new(quick)));
        }
        let Some(mut survey) = survey else {
            return Err(ProbeError::Internal("a full scan without a survey".into()));
        };
        // Pass on the progress held so far, then the rest as it comes, until the survey ends
        // (its sender goes with it): all of it before the final report.
        let forward = async {
            if let (Some(mut held), Some(updates)) = (held_progress, updates) {
                while let Some(progress) = held.recv().await {
                    let _ = updates.send(ScanUpdate::Progress(progress));
                }
            }
        };
        let (survey, ()) = tokio::join!(&mut survey.0, forward);
        let survey =
            survey.map_err(|e| ProbeError::Internal(format!("the survey stopped: {e}")))?;
        connections.fetch_add(survey.connections as u32, Ordering::Relaxed);
        if judged.is_none() {
            let ocsp = survey.stapled_ocsp.clone().unwrap_or_default();
            if survey.chain.is_empty() {
                return Err(no_handshake(&endpoint, &stage.errors));
            }
            judged = Some(
                self.judge_chain(&survey.chain, &ocsp, &chain_context, &mut stage.errors)
                    .await,
            );
        }
        let (facts, dns_error) = site.clone().await;
        stage.errors.extend(dns_error);
        let sct_extension = survey.sct_extension.clone();
        let ct = self.judge_ct(
            judged.as_ref(),
            sct_extension.as_ref().map(|seen| seen.as_deref()),
            &mut stage.errors,
        );
        Ok(assemble(
            Assembly::full(
                &stage,
                judged.as_ref(),
                survey,
                target_info,
                scanned_at,
                started,
                &connections,
            )
            .with_site(facts)
            .with_ct(ct)
            .with_other_chains(other_chains),
        ))
    }
}

/// A spawned task that is cancelled when its handle is dropped: a scan that fails or is
/// cancelled stops its survey too.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Nothing to report: no handshake gave a certificate (the first error says why).
fn no_handshake(endpoint: &Endpoint, errors: &[CheckError]) -> ProbeError {
    ProbeError::Handshake {
        address: endpoint.address,
        reason: errors
            .first()
            .map_or("no TLS handshake succeeded", |e| e.message.as_str())
            .to_owned(),
    }
}

impl From<EgressError> for ProbeError {
    fn from(e: EgressError) -> Self {
        match e {
            EgressError::Port { port, .. } => Self::ForbiddenPort {
                port,
                reason: e.to_string(),
            },
            EgressError::Address { ref host, address }
            | EgressError::IssuerNotPublic { ref host, address } => Self::Forbidden {
                host: host.clone(),
                address,
                reason: e.to_string(),
            },
            EgressError::Resolve { ref host, .. }
            | EgressError::ResolveTimeout { ref host, .. }
            | EgressError::NoAddresses { ref host } => Self::Resolve {
                host: host.clone(),
                reason: e.to_string(),
            },
        }
    }
}
