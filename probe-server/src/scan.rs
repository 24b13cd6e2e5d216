//! One scan, start to finish: resolve, check the address policy, handshake, look at the HTTP
//! layer, judge the chain, run the checks, rate, and assemble the report.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::{CertificateDer, ServerName};
use shared::{
    CheckError, Connection, Features, HttpInfo, KeyExchange, ProtocolSupport, ProtocolVersion,
    Report, ScanMode, TargetInfo,
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
use crate::target::{Host, Target};
use crate::trust::{self, TrustStore};
use crate::verified::{HandshakeFailure, Offer, VerifiedClient};

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

impl Scanner {
    /// A scanner for the CLI: every address allowed, the system resolver, default timeouts.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            connect_to: Vec::new(),
            policy: AddressPolicy::allow_all(),
            resolver: Arc::new(SystemResolver),
            timeouts: Timeouts::default(),
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
        _updates: Option<&UpdateSender>,
    ) -> Result<Report, ProbeError> {
        let started = Instant::now();
        let scanned_at = OffsetDateTime::now_utc();
        let target = &request.target;
        let endpoint = self.endpoint(target.host(), target.port()).await?;

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

        let client = VerifiedClient::new(sni.is_some());
        let t = self.timeouts;
        let first = client
            .handshake(
                endpoint.address,
                server_name.clone(),
                Offer::Modern,
                t.connect,
                t.handshake,
            )
            .await
            .map_err(|failure| match failure {
                HandshakeFailure::Connect(reason) => ProbeError::Connect {
                    address: endpoint.address,
                    reason,
                },
                HandshakeFailure::Tls(reason) => ProbeError::Handshake {
                    address: endpoint.address,
                    reason,
                },
                HandshakeFailure::Timeout(what, after) => ProbeError::Timeout {
                    what: format!("{what} with {}", endpoint.address),
                    after,
                },
            })?;
        let mut errors: Vec<CheckError> = Vec::new();
        let protocol = first.protocol;
        let chain = first.chain.clone();
        let ocsp = first.ocsp.clone();
        let connection_base = Connection {
            protocol_version: protocol,
            cipher_suite: first.cipher_suite.clone(),
            key_exchange_group: first.key_exchange_group.clone(),
            alpn: first.alpn.clone(),
            ocsp_stapled: !first.ocsp.is_empty(),
            session_resumed: None,
            handshake_ms: first.handshake_time.as_millis() as u64,
        };
        let authority = match (target.host(), target.port()) {
            (host, 443) => host_header(host),
            (host, port) => format!("{}:{port}", host_header(host)),
        };

        // The HTTP request on the first connection, then a second connection to see whether
        // it resumes (TLS 1.3 tickets arrive after the handshake, so it must come after).
        let h2 = first.alpn.as_deref() == Some("h2");
        let https_and_resumption = async {
            let https = http_probe::get_over_tls(first.stream, h2, &authority, t.http).await;
            let again = client
                .handshake(
                    endpoint.address,
                    server_name.clone(),
                    Offer::Modern,
                    t.connect,
                    t.handshake,
                )
                .await;
            (https, again.map(|h| h.resumed))
        };
        // TLS 1.2 support, when the first handshake chose 1.3.
        let tls12 = async {
            if protocol == ProtocolVersion::Tls12 {
                return Ok(true);
            }
            match client
                .handshake(
                    endpoint.address,
                    server_name.clone(),
                    Offer::Tls12Only,
                    t.connect,
                    t.handshake,
                )
                .await
            {
                Ok(_) => Ok(true),
                Err(HandshakeFailure::Tls(reason)) if reason.contains("ProtocolVersion") => {
                    Ok(false)
                }
                Err(other) => Err(other.to_string()),
            }
        };
        let plain = self.plain_http(target, endpoint.address.ip(), t.http);
        let ((https, resumed), tls12, plain) = tokio::join!(https_and_resumption, tls12, plain);

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
            Some(&ocsp),
            &server_name,
            now,
            &self.trust,
        );
        if !assessment.fetch_issuer_from.is_empty() {
            let fetched = self
                .fetch_issuers(&assessment.fetch_issuer_from, &mut errors)
                .await;
            if !fetched.is_empty() {
                assessment = trust::assess(
                    &certificates,
                    &fetched,
                    Some(&ocsp),
                    &server_name,
                    now,
                    &self.trust,
                );
            }
        }
        errors.extend(assessment.errors.iter().map(|m| CheckError {
            check: "ocsp".into(),
            message: m.clone(),
        }));

        let connection = Connection {
            session_resumed: match resumed {
                Ok(r) => Some(r),
                Err(e) => {
                    errors.push(CheckError {
                        check: "session-resumption".into(),
                        message: e.to_string(),
                    });
                    None
                }
            },
            ..connection_base
        };
        let http = match https {
            Ok(answer) => {
                let plain_http = match plain {
                    Ok(p) => p,
                    Err(e) => {
                        errors.push(CheckError {
                            check: "http-redirect".into(),
                            message: e,
                        });
                        None
                    }
                };
                Some(HttpInfo {
                    https_status: Some(answer.status),
                    hsts: answer.hsts,
                    plain_http,
                })
            }
            Err(e) => {
                errors.push(CheckError {
                    check: "http".into(),
                    message: e,
                });
                None
            }
        };
        let tls12_supported = match tls12 {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(CheckError {
                    check: "protocol-tls12".into(),
                    message: format!(
                        "a modern client could not tell whether TLS 1.2 is supported: {e}"
                    ),
                });
                None
            }
        };
        let protocols = ProtocolVersion::ALL
            .iter()
            .map(|&version| ProtocolSupport {
                version,
                supported: match version {
                    ProtocolVersion::Tls13 => Some(protocol == ProtocolVersion::Tls13),
                    ProtocolVersion::Tls12 => tls12_supported,
                    _ => None,
                },
                cipher_suites: Vec::new(),
                server_preference: None,
            })
            .collect();

        let observations = Observations {
            now,
            mode: request.mode,
            target: TargetInfo {
                host: target.host().to_string(),
                port: target.port(),
                sni: sni.clone(),
                ip: endpoint.address.ip(),
                resolved_addresses: endpoint.resolved.clone(),
            },
            certificates,
            trust: assessment.trust,
            connection: Some(connection),
            protocols,
            http,
            key_exchange: KeyExchange::default(),
            features: Features {
                ocsp_stapling: Some(!ocsp.is_empty()),
                ..Features::default()
            },
            attacks: AttackProbes::default(),
        };
        let findings = checks::run_all(&observations);
        let hsts_long_enough = observations
            .http
            .as_ref()
            .and_then(|h| h.hsts.as_ref())
            .and_then(|h| h.max_age)
            .is_some_and(|age| age >= checks::HSTS_MIN_MAX_AGE);
        let complete = request.mode == ScanMode::Full && errors.is_empty();
        let (grade, rating) = rating::rate(&RatingInput {
            findings: &findings,
            score: None,
            hsts_long_enough,
            complete,
        });

        Ok(Report {
            schema_version: shared::SCHEMA_VERSION.to_owned(),
            probe_version: env!("CARGO_PKG_VERSION").to_owned(),
            scan_mode: request.mode,
            scanned_at: rfc3339(scanned_at),
            duration_ms: started.elapsed().as_millis() as u64,
            target: observations.target,
            grade,
            rating,
            connection: observations.connection,
            protocols: observations.protocols,
            key_exchange: observations.key_exchange,
            features: observations.features,
            vulnerabilities: Vec::new(),
            certificates: observations
                .certificates
                .into_iter()
                .map(|c| c.summary)
                .collect(),
            trust: observations.trust,
            http: observations.http,
            findings,
            errors,
        })
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
    ) -> Vec<CertificateDer<'static>> {
        let mut fetched = Vec::new();
        for url in urls.iter().take(2) {
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
        let host = match Target::parse(host_text) {
            Ok(target) => target.host().clone(),
            Err(e) => return Err(e.to_string()),
        };
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
