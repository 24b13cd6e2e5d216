//! One scan, start to finish, in stages:
//!
//! 1. resolve the target and check the address policy (the scan connects only to the
//!    address checked here);
//! 2. the verified handshake (rustls, as a browser), the HTTP layer over it, a resumption
//!    attempt, and the chain's trust — enough for the quick report, which a full scan
//!    streams at once;
//! 3. (full scan) the survey: raw handshakes for every version, suite, group and attack;
//! 4. observations → checks → rating → the report.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rustls_pki_types::{CertificateDer, ServerName};
use shared::{
    CheckError, Connection, Features, HttpInfo, KeyExchange, ProtocolSupport, ProtocolVersion,
    Report, ScanMode, TargetInfo, Trust,
};
use time::OffsetDateTime;

use crate::address_policy::AddressPolicy;
use crate::certificate::{CertificateInfo, rfc3339};
use crate::checks;
use crate::connect_to::{self, ConnectTo};
use crate::error::ProbeError;
use crate::http_probe;
use crate::observations::{AttackProbes, Observations};
use crate::rating::{self, RatingInput};
use crate::resolve::{Resolve, SystemResolver};
use crate::survey::{self, SurveyRequest, SurveyResult, prober::DEFAULT_CONNECTIONS};
use crate::target::{Host, Target};
use crate::trust::{self, TrustStore};
use crate::verified::{HandshakeFailure, Offer, VerifiedClient};
use crate::vulnerabilities;

/// Time limits. Each step has its own; the whole scan has one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub handshake: Duration,
    pub http: Duration,
    pub scan: Duration,
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
    pub connect_to: Vec<ConnectTo>,
    pub policy: AddressPolicy,
    pub resolver: Arc<dyn Resolve>,
    pub timeouts: Timeouts,
    /// Connections in flight to one host at most, for the whole scan.
    pub connections: usize,
}

/// What one scan is asked to do.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub target: Target,
    /// The server name to send and verify instead of the host (`--sni`).
    pub sni: Option<String>,
    pub mode: ScanMode,
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

/// Where the scan connects, after resolution and the policy check.
#[derive(Debug, Clone)]
struct Endpoint {
    address: SocketAddr,
    resolved: Vec<IpAddr>,
}

/// The names a scan uses: the SNI it sends (none for IP targets) and the name the
/// certificate must match.
#[derive(Debug, Clone)]
struct Names {
    sni: Option<String>,
    server_name: ServerName<'static>,
    /// The HTTP authority (Host header).
    authority: String,
}

/// What the verified stage saw.
#[derive(Debug, Default)]
struct VerifiedStage {
    connection: Option<Connection>,
    chain: Vec<CertificateDer<'static>>,
    ocsp: Vec<u8>,
    http: Option<HttpInfo>,
    /// TLS 1.2 and 1.3 support as a modern client sees it.
    tls12: Option<bool>,
    tls13: Option<bool>,
    /// ALPN protocols accepted (full scans probe the one not chosen).
    alpn: Option<Vec<String>>,
    errors: Vec<CheckError>,
}

/// A judged chain.
#[derive(Debug)]
struct JudgedChain {
    certificates: Vec<CertificateInfo>,
    trust: Trust,
}

impl Scanner {
    /// A scanner for the CLI: every address allowed, the system resolver, default timeouts.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            connect_to: Vec::new(),
            policy: AddressPolicy::allow_all(),
            resolver: Arc::new(SystemResolver),
            timeouts: Timeouts::default(),
            connections: DEFAULT_CONNECTIONS,
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
        let scanned_at = OffsetDateTime::now_utc();
        let target = &request.target;
        let endpoint = self.endpoint(target.host(), target.port()).await?;
        let names = names(request)?;
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
                // Less a margin to assemble the report.
                deadline: started
                    + self
                        .timeouts
                        .scan
                        .saturating_sub(Duration::from_millis(300)),
            };
            let progress = updates.map(|_| {
                let (sender, held) = tokio::sync::mpsc::unbounded_channel::<ScanUpdate>();
                held_progress = Some(held);
                sender
            });
            AbortOnDrop(tokio::spawn(async move {
                survey::run(&request, progress.as_ref()).await
            }))
        });

        // 2. The verified handshake, the HTTP layer, and the chain's trust.
        let mut stage = self
            .verified_stage(
                &endpoint,
                &names,
                target,
                full,
                Slots {
                    shared: &slots,
                    first: first_slot,
                },
                &connections,
            )
            .await?;
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
                self.judge_chain(
                    &stage.chain,
                    &stage.ocsp,
                    &names,
                    &mut stage.errors,
                    &connections,
                )
                .await,
            );
        }
        if !full {
            if judged.is_none() {
                // No modern client could connect: fetch the chain with one raw hello.
                let prober = survey::prober::Prober::new(
                    endpoint.address,
                    names.sni.clone(),
                    1,
                    started + self.timeouts.scan,
                );
                let (chain, ocsp) = survey::fetch_chain(&prober).await;
                connections.fetch_add(prober.connections() as u32, Ordering::Relaxed);
                if chain.is_empty() {
                    return Err(ProbeError::Handshake {
                        address: endpoint.address,
                        reason: first_error(&stage.errors)
                            .unwrap_or("no TLS handshake succeeded")
                            .to_owned(),
                    });
                }
                judged = Some(
                    self.judge_chain(&chain, &ocsp, &names, &mut stage.errors, &connections)
                        .await,
                );
            }
            let quick = assemble(Assembly::quick(
                &stage,
                judged.as_ref(),
                target_info,
                scanned_at,
                started,
                &connections,
            ));
            return Ok(quick);
        }
        if let (Some(judged), Some(updates)) = (judged.as_ref(), updates) {
            let quick = assemble(Assembly::quick(
                &stage,
                Some(judged),
                target_info.clone(),
                scanned_at,
                started,
                &connections,
            ));
            let _ = updates.send(ScanUpdate::Quick(Box::new(quick)));
        }
        let Some(mut survey) = survey else {
            return Err(ProbeError::Internal("a full scan without a survey".into()));
        };
        // Pass on the progress held so far, then the rest as it comes, until the survey ends
        // (its sender goes with it): all of it before the final report.
        let forward = async {
            if let (Some(mut held), Some(updates)) = (held_progress, updates) {
                while let Some(update) = held.recv().await {
                    let _ = updates.send(update);
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
                return Err(ProbeError::Handshake {
                    address: endpoint.address,
                    reason: first_error(&stage.errors)
                        .unwrap_or("no TLS handshake succeeded")
                        .to_owned(),
                });
            }
            judged = Some(
                self.judge_chain(
                    &survey.chain,
                    &ocsp,
                    &names,
                    &mut stage.errors,
                    &connections,
                )
                .await,
            );
        }
        Ok(assemble(Assembly::full(
            &stage,
            judged.as_ref(),
            survey,
            target_info,
            scanned_at,
            started,
            &connections,
        )))
    }

    /// The verified handshake and what rides on it. Fails only when nothing answers at all.
    async fn verified_stage(
        &self,
        endpoint: &Endpoint,
        names: &Names,
        target: &Target,
        full: bool,
        slots: Slots<'_>,
        connections: &AtomicU32,
    ) -> Result<VerifiedStage, ProbeError> {
        let t = self.timeouts;
        let address = endpoint.address;
        let client = VerifiedClient::new(names.sni.is_some());
        let handshake = |offer| {
            connections.fetch_add(1, Ordering::Relaxed);
            client.handshake(
                address,
                names.server_name.clone(),
                offer,
                t.connect,
                t.handshake,
            )
        };
        // Each later connection holds a slot of the shared cap while it is open.
        let slot = || async {
            // The semaphore is never closed.
            slots.shared.clone().acquire_owned().await.ok()
        };
        // The first connection keeps its slot through the HTTP request it carries.
        let first_slot = slots.first;
        let first = match handshake(Offer::Modern).await {
            Ok(first) => first,
            Err(HandshakeFailure::Connect(reason)) => {
                return Err(ProbeError::Connect { address, reason });
            }
            Err(HandshakeFailure::Timeout(what, after)) => {
                return Err(ProbeError::Timeout {
                    what: format!("{what} with {address}"),
                    after,
                });
            }
            Err(HandshakeFailure::Tls(reason)) => {
                // Old servers: a modern client cannot connect, the raw engine still can.
                let message = format!(
                    "a modern client (TLS 1.2/1.3 with AEAD suites) could not connect: {reason}"
                );
                return Ok(VerifiedStage {
                    errors: vec![CheckError {
                        check: "verified-handshake".into(),
                        message,
                    }],
                    ..VerifiedStage::default()
                });
            }
        };
        let mut stage = VerifiedStage {
            chain: first.chain.clone(),
            ocsp: first.ocsp.clone(),
            tls13: Some(first.protocol == ProtocolVersion::Tls13),
            ..VerifiedStage::default()
        };
        let mut connection = Connection {
            protocol_version: first.protocol,
            cipher_suite: crate::iana::cipher_suites::name_of(first.cipher_suite_id)
                .map_or_else(|| first.cipher_suite.clone(), str::to_owned),
            key_exchange_group: first.key_exchange_group.clone(),
            alpn: first.alpn.clone(),
            ocsp_stapled: !first.ocsp.is_empty(),
            session_resumed: None,
            handshake_ms: first.handshake_time.as_millis() as u64,
        };
        let chosen_alpn = first.alpn.clone();
        let h2 = chosen_alpn.as_deref() == Some("h2");
        let protocol = first.protocol;

        // The HTTP request on the first connection, then a second connection to see whether
        // it resumes (TLS 1.3 tickets arrive after the handshake, so it must come after).
        let https_and_resumption = async {
            let https = http_probe::get_over_tls(first.stream, h2, &names.authority, t.http).await;
            drop(first_slot);
            let _slot = slot().await;
            (https, handshake(Offer::Modern).await.map(|h| h.resumed))
        };
        // Quick scans ask a modern client about TLS 1.2; full scans learn it from the survey.
        let tls12 = async {
            if protocol == ProtocolVersion::Tls12 {
                return Some(Ok(true));
            }
            if full {
                return None;
            }
            let _slot = slot().await;
            Some(match handshake(Offer::Tls12Only).await {
                Ok(_) => Ok(true),
                Err(HandshakeFailure::Tls(reason)) if reason.contains("ProtocolVersion") => {
                    Ok(false)
                }
                Err(other) => Err(other.to_string()),
            })
        };
        // Full scans probe the ALPN protocol the server did not choose.
        let other_alpn = async {
            let other = match chosen_alpn.as_deref() {
                Some("h2") => "http/1.1",
                Some("http/1.1") => "h2",
                _ => return None,
            };
            if !full {
                return None;
            }
            let _slot = slot().await;
            connections.fetch_add(1, Ordering::Relaxed);
            Some((
                other,
                client
                    .alpn_probe(
                        address,
                        names.server_name.clone(),
                        other,
                        t.connect,
                        t.handshake,
                    )
                    .await,
            ))
        };
        let plain = async {
            let _slot = slot().await;
            connections.fetch_add(1, Ordering::Relaxed);
            self.plain_http(target, address.ip(), t.http).await
        };
        let ((https, resumed), tls12, plain, other_alpn) =
            tokio::join!(https_and_resumption, tls12, plain, other_alpn);

        connection.session_resumed = match resumed {
            Ok(r) => Some(r),
            Err(e) => {
                stage.errors.push(CheckError {
                    check: "session-resumption".into(),
                    message: e.to_string(),
                });
                None
            }
        };
        stage.http = match https {
            Ok(answer) => {
                let plain_http = plain.unwrap_or_else(|e| {
                    stage.errors.push(CheckError {
                        check: "http-redirect".into(),
                        message: e,
                    });
                    None
                });
                Some(HttpInfo {
                    https_status: Some(answer.status),
                    hsts: answer.hsts,
                    plain_http,
                })
            }
            Err(e) => {
                stage.errors.push(CheckError {
                    check: "http".into(),
                    message: e,
                });
                None
            }
        };
        stage.tls12 = match tls12 {
            Some(Ok(supported)) => Some(supported),
            Some(Err(e)) => {
                stage.errors.push(CheckError {
                    check: "protocol-tls12".into(),
                    message: format!(
                        "a modern client could not tell whether TLS 1.2 is supported: {e}"
                    ),
                });
                None
            }
            None => None,
        };
        stage.alpn = match (&chosen_alpn, other_alpn) {
            (None, _) => Some(Vec::new()),
            (Some(chosen), Some((other, Ok(Some(got))))) if got == other => {
                Some(vec![chosen.clone(), got])
            }
            (Some(chosen), Some((_, Ok(_) | Err(HandshakeFailure::Tls(_))))) => {
                Some(vec![chosen.clone()])
            }
            (Some(chosen), Some((other, Err(e)))) => {
                stage.errors.push(CheckError {
                    check: "alpn".into(),
                    message: format!("probing {other}: {e}"),
                });
                Some(vec![chosen.clone()])
            }
            (Some(_), None) => None,
        };
        stage.connection = Some(connection);
        Ok(stage)
    }

    /// Parses and judges a chain, completing it through AIA when an intermediate is missing.
    async fn judge_chain(
        &self,
        chain: &[CertificateDer<'static>],
        ocsp: &[u8],
        names: &Names,
        errors: &mut Vec<CheckError>,
        connections: &AtomicU32,
    ) -> JudgedChain {
        let now = OffsetDateTime::now_utc();
        let mut certificates = Vec::new();
        for (index, der) in chain.iter().enumerate() {
            match CertificateInfo::parse(der, now) {
                Ok(info) => certificates.push(info),
                Err(reason) => errors.push(CheckError {
                    check: "certificate".into(),
                    message: format!("certificate {index}: {reason}"),
                }),
            }
        }
        let mut assessment = trust::assess(
            &certificates,
            &[],
            Some(ocsp),
            &names.server_name,
            now,
            &self.trust,
        );
        if !assessment.fetch_issuer_from.is_empty() {
            let fetched = self
                .fetch_issuers(&assessment.fetch_issuer_from, errors, connections)
                .await;
            if !fetched.is_empty() {
                assessment = trust::assess(
                    &certificates,
                    &fetched,
                    Some(ocsp),
                    &names.server_name,
                    now,
                    &self.trust,
                );
            }
        }
        errors.extend(assessment.errors.iter().map(|m| CheckError {
            check: "ocsp".into(),
            message: m.clone(),
        }));
        JudgedChain {
            certificates,
            trust: assessment.trust,
        }
    }

    /// Resolves `host` (or applies a `--connect-to` rule) and checks every address against
    /// the policy. The scan connects only to the address checked here: no second lookup.
    async fn endpoint(&self, host: &Host, port: u16) -> Result<Endpoint, ProbeError> {
        let host_text = host.to_string();
        let (address, resolved) =
            if let Some(mapped) = connect_to::lookup(&self.connect_to, host, port) {
                (mapped, vec![mapped.ip()])
            } else {
                let resolved = match host {
                    Host::Ip(ip) => vec![*ip],
                    Host::Name(name) => {
                        let lookup =
                            tokio::time::timeout(self.timeouts.connect, self.resolver.lookup(name))
                                .await
                                .map_err(|_| ProbeError::Resolve {
                                    host: host_text.clone(),
                                    reason: "the DNS lookup timed out".into(),
                                })?
                                .map_err(|e| ProbeError::Resolve {
                                    host: host_text.clone(),
                                    reason: e.to_string(),
                                })?;
                        if lookup.is_empty() {
                            return Err(ProbeError::Resolve {
                                host: host_text,
                                reason: "the name has no addresses".into(),
                            });
                        }
                        lookup
                    }
                };
                // Prefer IPv4: it is what most clients reach first, and what every host here has.
                let first = resolved
                    .iter()
                    .find(|ip| ip.is_ipv4())
                    .or_else(|| resolved.first())
                    .copied();
                let Some(first) = first else {
                    return Err(ProbeError::Resolve {
                        host: host_text,
                        reason: "the name has no addresses".into(),
                    });
                };
                (SocketAddr::new(first, port), resolved)
            };
        // Every address is checked: a name that also points inside is refused outright.
        for ip in resolved.iter().chain(std::iter::once(&address.ip())) {
            if let Err(reason) = self.policy.check(*ip) {
                return Err(ProbeError::Forbidden {
                    host: host_text,
                    address: *ip,
                    reason,
                });
            }
        }
        Ok(Endpoint { address, resolved })
    }

    /// `GET /` on the site's port 80 (or where `--connect-to` sends it).
    async fn plain_http(
        &self,
        target: &Target,
        ip: IpAddr,
        timeout: Duration,
    ) -> Result<Option<shared::PlainHttp>, String> {
        let address = connect_to::lookup(&self.connect_to, target.host(), 80)
            .unwrap_or(SocketAddr::new(ip, 80));
        self.policy.check(address.ip())?;
        http_probe::get_plain(address, &host_header(target.host()), timeout).await
    }

    /// Fetches intermediates from AIA caIssuers URLs (plain HTTP only, as CAs publish them),
    /// resolving and policy-checking each URL's host like a scan target.
    async fn fetch_issuers(
        &self,
        urls: &[String],
        errors: &mut Vec<CheckError>,
        connections: &AtomicU32,
    ) -> Vec<CertificateDer<'static>> {
        let mut fetched = Vec::new();
        for url in urls.iter().take(2) {
            connections.fetch_add(1, Ordering::Relaxed);
            match self.fetch_issuer(url).await {
                Ok(mut certs) => fetched.append(&mut certs),
                Err(e) => errors.push(CheckError {
                    check: "chain-completion".into(),
                    message: format!("fetching {url}: {e}"),
                }),
            }
        }
        fetched
    }

    async fn fetch_issuer(&self, url: &str) -> Result<Vec<CertificateDer<'static>>, String> {
        let uri: hyper::Uri = url.parse().map_err(|_| "not a valid URL".to_owned())?;
        if uri.scheme_str() != Some("http") {
            return Err("only http:// issuer URLs are fetched".into());
        }
        let host_text = uri.host().ok_or("the URL has no host")?;
        let host = Target::parse(host_text.trim_start_matches('[').trim_end_matches(']'))
            .map_err(|e| e.to_string())?
            .host()
            .clone();
        let port = uri.port_u16().unwrap_or(80);
        let endpoint = self
            .endpoint(&host, port)
            .await
            .map_err(|e| e.to_string())?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let body = http_probe::fetch_plain(
            endpoint.address,
            &host_header(&host),
            path,
            64 * 1024,
            self.timeouts.http,
        )
        .await?;
        if body.first() == Some(&0x30) {
            return Ok(vec![CertificateDer::from(body)]);
        }
        use rustls_pki_types::pem::PemObject;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&body)
            .filter_map(Result::ok)
            .collect();
        if certs.is_empty() {
            return Err("the answer is neither a DER nor a PEM certificate".into());
        }
        Ok(certs)
    }
}

/// A spawned task that is cancelled when its handle is dropped: a scan that fails or is
/// cancelled stops its survey too.
/// The scan's cap on connections in flight to the host, as the verified stage gets it: the
/// shared permits, and the one already taken for its first handshake.
struct Slots<'a> {
    shared: &'a Arc<tokio::sync::Semaphore>,
    first: tokio::sync::OwnedSemaphorePermit,
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The names of a request: SNI, the name to verify, and the HTTP authority.
fn names(request: &ScanRequest) -> Result<Names, ProbeError> {
    let target = &request.target;
    let sni = match &request.sni {
        Some(name) => Some(sni_name(name)?),
        None => target.host().name().map(str::to_owned),
    };
    let server_name: ServerName<'static> = match (&sni, target.host()) {
        (Some(name), _) => ServerName::try_from(name.clone())
            .map_err(|_| ProbeError::invalid_target(name, "not a valid server name"))?,
        (None, Host::Ip(ip)) => ServerName::IpAddress((*ip).into()),
        (None, Host::Name(name)) => {
            return Err(ProbeError::Internal(format!("no server name for {name}")));
        }
    };
    let authority = match target.port() {
        443 => host_header(target.host()),
        port => format!("{}:{port}", host_header(target.host())),
    };
    Ok(Names {
        sni,
        server_name,
        authority,
    })
}

fn first_error(errors: &[CheckError]) -> Option<&str> {
    errors.first().map(|e| e.message.as_str())
}

/// What goes into a report.
struct Assembly {
    mode: ScanMode,
    target: TargetInfo,
    scanned_at: OffsetDateTime,
    duration: Duration,
    connections: u32,
    certificates: Vec<CertificateInfo>,
    trust: Trust,
    connection: Option<Connection>,
    protocols: Vec<ProtocolSupport>,
    http: Option<HttpInfo>,
    key_exchange: KeyExchange,
    features: Features,
    attacks: AttackProbes,
    /// The handshake simulation (full scans).
    simulations: Vec<shared::HandshakeSimulation>,
    errors: Vec<CheckError>,
}

impl Assembly {
    fn quick(
        stage: &VerifiedStage,
        judged: Option<&JudgedChain>,
        target: TargetInfo,
        scanned_at: OffsetDateTime,
        started: Instant,
        connections: &AtomicU32,
    ) -> Self {
        let protocols = ProtocolVersion::ALL
            .iter()
            .map(|&version| ProtocolSupport {
                version,
                supported: match version {
                    ProtocolVersion::Tls13 => stage.tls13,
                    ProtocolVersion::Tls12 => stage.tls12,
                    _ => None,
                },
                cipher_suites: Vec::new(),
                server_preference: None,
            })
            .collect();
        let connection = stage.connection.clone();
        Self {
            mode: ScanMode::Quick,
            target,
            scanned_at,
            duration: started.elapsed(),
            connections: connections.load(Ordering::Relaxed),
            certificates: judged.map(|j| j.certificates.clone()).unwrap_or_default(),
            trust: judged.map_or_else(no_trust, |j| j.trust.clone()),
            features: Features {
                ocsp_stapling: connection.as_ref().map(|c| c.ocsp_stapled),
                alpn: stage.alpn.clone(),
                ..Features::default()
            },
            connection,
            protocols,
            http: stage.http.clone(),
            key_exchange: KeyExchange::default(),
            attacks: AttackProbes::default(),
            simulations: Vec::new(),
            errors: stage.errors.clone(),
        }
    }

    #[allow(clippy::too_many_arguments)] // One call site; the pieces of one report.
    fn full(
        stage: &VerifiedStage,
        judged: Option<&JudgedChain>,
        survey: SurveyResult,
        target: TargetInfo,
        scanned_at: OffsetDateTime,
        started: Instant,
        connections: &AtomicU32,
    ) -> Self {
        let mut errors = stage.errors.clone();
        errors.extend(survey.errors.iter().cloned());
        // The verified handshake is ground truth: a version rustls negotiated is supported
        // whatever a raw hello made of it.
        let mut protocols = survey.protocols.clone();
        for (version, seen) in [
            (ProtocolVersion::Tls13, stage.tls13),
            (ProtocolVersion::Tls12, stage.tls12),
        ] {
            if seen == Some(true)
                && let Some(p) = protocols
                    .iter_mut()
                    .find(|p| p.version == version && p.supported != Some(true))
            {
                {
                    errors.push(CheckError {
                        check: format!("protocol-{}", version.as_str().to_ascii_lowercase()),
                        message: format!(
                            "a modern client negotiated {} but raw hellos were refused",
                            version.display_name()
                        ),
                    });
                    p.supported = Some(true);
                }
            }
        }
        if survey.went_sequential {
            errors.push(CheckError {
                check: "concurrency".into(),
                message: "the server refused or dropped parallel connections; the scan went on one at a time".into(),
            });
        }
        let verified_resumed = stage.connection.as_ref().and_then(|c| c.session_resumed);
        let features = Features {
            ocsp_stapling: match (
                stage.connection.as_ref().map(|c| c.ocsp_stapled),
                survey.features.ocsp_stapling,
            ) {
                (Some(a), Some(b)) => Some(a || b),
                (a, b) => a.or(b),
            },
            // TLS 1.3 resumes only with tickets.
            session_tickets: match (
                survey.features.session_tickets,
                stage.tls13 == Some(true) && verified_resumed == Some(true),
            ) {
                (_, true) => Some(true),
                (seen, false) => seen,
            },
            alpn: stage.alpn.clone(),
            ..survey.features.clone()
        };
        // The handshake simulation, the leaf certificate's limits applied (key type and size).
        let simulations = crate::simulation::report(
            &survey.simulations,
            judged.and_then(|j| j.certificates.first()),
        );
        Self {
            mode: ScanMode::Full,
            target,
            scanned_at,
            duration: started.elapsed(),
            connections: connections.load(Ordering::Relaxed),
            certificates: judged.map(|j| j.certificates.clone()).unwrap_or_default(),
            trust: judged.map_or_else(no_trust, |j| j.trust.clone()),
            connection: stage.connection.clone(),
            protocols,
            http: stage.http.clone(),
            key_exchange: survey.key_exchange,
            features,
            attacks: survey.attacks,
            simulations,
            errors,
        }
    }
}

fn no_trust() -> Trust {
    Trust {
        trusted: false,
        name_matches: false,
        chain_complete: None,
        issues: vec![shared::TrustIssue {
            kind: shared::TrustIssueKind::NoCertificate,
            message: "no certificate was seen".into(),
        }],
        anchor: None,
        ocsp: None,
    }
}

/// Observations → checks → rating → report.
fn assemble(a: Assembly) -> Report {
    let observations = Observations {
        now: OffsetDateTime::now_utc(),
        mode: a.mode,
        target: a.target,
        certificates: a.certificates,
        trust: a.trust,
        connection: a.connection,
        protocols: a.protocols,
        http: a.http,
        key_exchange: a.key_exchange,
        features: a.features,
        attacks: a.attacks,
        simulations: a.simulations,
    };
    let findings = checks::run_all(&observations);
    let hsts_long_enough = observations
        .http
        .as_ref()
        .and_then(|h| h.hsts.as_ref())
        .and_then(|h| h.max_age)
        .is_some_and(|age| age >= checks::HSTS_MIN_MAX_AGE);
    let complete = a.mode == ScanMode::Full && a.errors.is_empty();
    let score = rating::score(&observations);
    let (grade, rating) = rating::rate(&RatingInput {
        findings: &findings,
        score,
        hsts_long_enough,
        complete,
    });
    let vulnerabilities = vulnerabilities::assess(&observations, &findings);
    Report {
        schema_version: shared::SCHEMA_VERSION.to_owned(),
        probe_version: env!("CARGO_PKG_VERSION").to_owned(),
        scan_mode: a.mode,
        scanned_at: rfc3339(a.scanned_at),
        duration_ms: a.duration.as_millis() as u64,
        connections: a.connections,
        target: observations.target,
        grade,
        rating,
        connection: observations.connection,
        protocols: observations.protocols,
        key_exchange: observations.key_exchange,
        features: observations.features,
        vulnerabilities,
        certificates: observations
            .certificates
            .into_iter()
            .map(|c| c.summary)
            .collect(),
        trust: observations.trust,
        http: observations.http,
        simulations: observations.simulations,
        findings,
        errors: a.errors,
    }
}

/// A Host header / authority for `host`.
fn host_header(host: &Host) -> String {
    match host {
        Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        other => other.to_string(),
    }
}

/// Validates a `--sni` name (a DNS name; IDNs converted).
fn sni_name(name: &str) -> Result<String, ProbeError> {
    match Target::parse(name)?.host() {
        Host::Name(ascii) => Ok(ascii.clone()),
        Host::Ip(_) => Err(ProbeError::invalid_target(
            name,
            "SNI carries host names, not IP addresses",
        )),
    }
}
