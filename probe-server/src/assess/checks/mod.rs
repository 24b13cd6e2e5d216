//! The checks: each is a pure function from [`Observations`] to findings, one per file,
//! listed in [`REGISTRY`]. Adding a check means adding one file and one line here.
//!
//! A check says what it found, how bad it is, how to fix it, and which grade it caps the
//! server at (after SSL Labs' rating guide; see `rating`). It never does I/O.

use shared::{Finding, FindingId, Grade, Severity};

use crate::assess::observations::Observations;

mod aead;
mod beast;
mod caa;
mod ccs_injection;
mod cert_expired;
mod cert_expiring_soon;
mod cert_message_size;
mod cert_name_mismatch;
mod cert_not_yet_valid;
mod cert_revoked;
mod cert_self_signed;
mod cert_untrusted;
mod cert_weak_key;
mod cert_weak_signature;
mod certificate_transparency;
mod chain_incomplete;
mod chain_validity_disjoint;
mod cipher_3des;
mod cipher_anon;
mod cipher_cbc;
mod cipher_des;
mod cipher_export;
mod cipher_null;
mod cipher_rc4;
mod client_renegotiation;
mod compression;
mod dh_groups;
mod drown;
mod early_data;
mod extended_master_secret;
mod fallback_scsv;
mod forward_secrecy;
mod freak;
mod heartbleed;
mod hello_intolerance;
mod hello_tolerance;
pub(crate) mod hsts;
mod https_redirect;
mod logjam;
mod must_staple;
mod ocsp_stapling;
mod poodle;
mod pq_key_exchange;
mod protocol_legacy;
mod protocol_versions;
mod renegotiation;
mod robot;
mod rsa_key_exchange;
mod served_chains;
mod server_preference;
mod session_resumption;
mod simulation_browser_fails;
mod simulation_browser_no_aead;
mod simulation_browser_no_forward_secrecy;
mod suites;
mod sweet32;
mod ticketbleed;
mod weak_dh;

pub(crate) use hsts::HSTS_MIN_MAX_AGE;

/// One check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Check {
    /// Stable name, used in `errors` and logs.
    pub name: &'static str,
    pub run: fn(&Observations) -> Vec<Finding>,
}

/// Every check, in the order they run.
pub(crate) const REGISTRY: &[Check] = &[
    cert_expired::CHECK,
    cert_not_yet_valid::CHECK,
    cert_expiring_soon::CHECK,
    cert_self_signed::CHECK,
    cert_untrusted::CHECK,
    cert_name_mismatch::CHECK,
    cert_revoked::CHECK,
    chain_incomplete::CHECK,
    chain_validity_disjoint::CHECK,
    cert_message_size::CHECK,
    cert_weak_key::CHECK,
    cert_weak_signature::CHECK,
    ocsp_stapling::CHECK,
    must_staple::CHECK,
    caa::CHECK,
    hsts::CHECK,
    https_redirect::CHECK,
    protocol_versions::CHECK,
    protocol_legacy::CHECK,
    cipher_null::CHECK,
    cipher_anon::CHECK,
    cipher_export::CHECK,
    cipher_rc4::CHECK,
    cipher_des::CHECK,
    cipher_3des::CHECK,
    sweet32::CHECK,
    cipher_cbc::CHECK,
    rsa_key_exchange::CHECK,
    forward_secrecy::CHECK,
    aead::CHECK,
    server_preference::CHECK,
    weak_dh::CHECK,
    dh_groups::CHECK,
    logjam::CHECK,
    freak::CHECK,
    drown::CHECK,
    poodle::CHECK,
    beast::CHECK,
    compression::CHECK,
    renegotiation::CHECK,
    client_renegotiation::CHECK,
    extended_master_secret::CHECK,
    session_resumption::CHECK,
    ticketbleed::CHECK,
    fallback_scsv::CHECK,
    heartbleed::CHECK,
    ccs_injection::CHECK,
    robot::CHECK,
    pq_key_exchange::CHECK,
    hello_intolerance::CHECK,
    simulation_browser_fails::CHECK,
    simulation_browser_no_forward_secrecy::CHECK,
    simulation_browser_no_aead::CHECK,
    certificate_transparency::CHECK,
    served_chains::CHECK,
    early_data::CHECK,
    hello_tolerance::CHECK,
];

/// Runs every check and returns the findings, most severe first.
pub(crate) fn run_all(observations: &Observations) -> Vec<Finding> {
    let mut findings: Vec<Finding> = REGISTRY
        .iter()
        .flat_map(|check| {
            let found = (check.run)(observations);
            if !found.is_empty() {
                tracing::debug!(check = check.name, findings = found.len(), "check found");
            }
            found
        })
        .collect();
    findings.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| cap_rank(a).cmp(&cap_rank(b)).reverse())
    });
    findings
}

fn cap_rank(finding: &Finding) -> Option<Grade> {
    finding.grade_cap
}

/// The current browsers of the handshake simulation that connect with a suite `lacks`
/// says is wanting (given its forward secrecy and AEAD), each as "Client version
/// (platform): suite".
pub(crate) fn current_browsers_connecting(
    obs: &Observations,
    lacks: fn(forward_secrecy: bool, aead: bool) -> bool,
) -> Vec<String> {
    obs.simulations
        .iter()
        .filter(|s| s.current)
        .filter_map(|s| match &s.outcome {
            shared::SimulationOutcome::Connected {
                cipher_suite,
                forward_secrecy,
                aead,
                ..
            } if lacks(*forward_secrecy, *aead) => Some(format!(
                "{} {} ({}): {cipher_suite}",
                s.client, s.version, s.platform
            )),
            _ => None,
        })
        .collect()
}

/// Builds a finding.
pub(crate) fn finding(
    id: FindingId,
    severity: Severity,
    title: &str,
    detail: impl Into<String>,
    fix: &str,
) -> Finding {
    Finding {
        id,
        severity,
        title: title.to_owned(),
        detail: detail.into(),
        fix: fix.to_owned(),
        grade_cap: None,
        cve: Vec::new(),
    }
}

/// The messages of every trust issue of `kind`, each capitalised, joined by "; "; `None`
/// when there is none.
pub(crate) fn trust_issues(obs: &Observations, kind: shared::TrustIssueKind) -> Option<String> {
    let messages: Vec<String> = obs
        .trust
        .issues
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| cert_expired::capitalise(&i.message))
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// Adds a grade cap to a finding.
pub(crate) fn capped(mut finding: Finding, cap: Grade) -> Finding {
    finding.grade_cap = Some(cap);
    finding
}

#[cfg(test)]
pub(crate) mod testing {
    //! Observations for check tests: a healthy server, to be spoiled one field at a time.

    use shared::{
        Certificate, Connection, Hsts, HttpInfo, PlainHttp, ProtocolSupport, ProtocolVersion,
        PublicKeyInfo, ScanMode, TargetInfo, Trust,
    };
    use time::{Duration, OffsetDateTime};

    use crate::assess::observations::Observations;
    use crate::pki::certificate::{CertificateInfo, SignatureHash};

    pub(crate) fn cert(days_remaining: i64) -> CertificateInfo {
        let now = OffsetDateTime::now_utc();
        CertificateInfo {
            summary: Certificate {
                subject: "CN=good.test".into(),
                common_name: Some("good.test".into()),
                issuer: "CN=Test CA".into(),
                issuer_common_name: Some("Test CA".into()),
                serial: "01".into(),
                not_before: "2026-01-01T00:00:00Z".into(),
                not_after: "2027-01-01T00:00:00Z".into(),
                days_remaining,
                subject_alt_names: vec!["good.test".into()],
                key: PublicKeyInfo {
                    algorithm: "EC".into(),
                    bits: 256,
                    curve: Some("secp256r1".into()),
                },
                signature_algorithm: "ecdsa-with-SHA256".into(),
                sha256_fingerprint: "00".repeat(32),
                spki_sha256: "AAAA".into(),
                self_signed: false,
                is_ca: false,
                ocsp_urls: Vec::new(),
                ca_issuer_urls: Vec::new(),
            },
            der: rustls_pki_types::CertificateDer::from(Vec::new()),
            not_before: now - Duration::days(10),
            not_after: now + Duration::days(days_remaining),
            signature_hash: SignatureHash::Strong,
            subject_der: Vec::new(),
            issuer_der: Vec::new(),
            must_staple: false,
        }
    }

    /// A server with nothing wrong.
    pub(crate) fn healthy() -> Observations {
        Observations {
            now: OffsetDateTime::now_utc(),
            mode: ScanMode::Quick,
            target: TargetInfo {
                host: "good.test".into(),
                port: 443,
                sni: Some("good.test".into()),
                ip: "192.0.2.1".parse().unwrap(),
                resolved_addresses: vec!["192.0.2.1".parse().unwrap()],
            },
            certificates: vec![cert(80)],
            trust: Trust {
                trusted: true,
                name_matches: true,
                chain_complete: Some(true),
                issues: Vec::new(),
                anchor: None,
                ocsp: None,
            },
            connection: Some(Connection {
                protocol_version: ProtocolVersion::Tls13,
                cipher_suite: "TLS_AES_128_GCM_SHA256".into(),
                key_exchange_group: Some("X25519MLKEM768".into()),
                alpn: Some("h2".into()),
                ocsp_stapled: true,
                session_resumed: Some(true),
                handshake_ms: 3,
            }),
            protocols: ProtocolVersion::ALL
                .iter()
                .map(|&version| ProtocolSupport {
                    version,
                    supported: match version {
                        ProtocolVersion::Tls12 | ProtocolVersion::Tls13 => Some(true),
                        _ => None,
                    },
                    cipher_suites: Vec::new(),
                    server_preference: None,
                    intolerance: None,
                })
                .collect(),
            http: Some(HttpInfo {
                https_status: Some(200),
                hsts: Some(Hsts {
                    raw: "max-age=31536000".into(),
                    max_age: Some(31_536_000),
                    include_subdomains: false,
                    preload: false,
                }),
                plain_http: Some(PlainHttp {
                    status: 301,
                    location: Some("https://good.test/".into()),
                    redirects_to_https: true,
                }),
            }),
            key_exchange: shared::KeyExchange::default(),
            features: shared::Features::default(),
            attacks: crate::assess::observations::AttackProbes::default(),
            simulations: Vec::new(),
            policy: shared::Policy::default(),
            ct: None,
            other_chains: Vec::new(),
        }
    }

    /// A fully scanned server supporting exactly `versions` (no suites listed).
    pub(crate) fn with_support(versions: &[ProtocolVersion]) -> Observations {
        let mut obs = healthy();
        obs.mode = ScanMode::Full;
        for p in &mut obs.protocols {
            p.supported = Some(versions.contains(&p.version));
        }
        obs
    }

    /// A fully scanned server that speaks only `version` and accepts exactly `suites` (in
    /// that order), described from the IANA registry.
    pub(crate) fn with_suites(version: ProtocolVersion, suites: &[u16]) -> Observations {
        let mut obs = with_support(&[version]);
        for p in &mut obs.protocols {
            if p.version == version {
                p.cipher_suites = suites
                    .iter()
                    .map(|id| {
                        crate::iana::cipher_suites::by_id(*id)
                            .expect("a registered suite")
                            .to_shared(None)
                    })
                    .collect();
            }
        }
        obs
    }

    pub(crate) fn ids(findings: &[shared::Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn a_healthy_server_has_no_findings() {
        assert_eq!(ids(&super::run_all(&healthy())), Vec::<&str>::new());
    }
}

#[cfg(test)]
mod registry_tests {
    use std::collections::HashSet;

    use super::REGISTRY;

    #[test]
    fn every_check_has_its_own_stable_kebab_case_name() {
        let mut names = HashSet::new();
        for check in REGISTRY {
            assert!(
                check
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                check.name
            );
            assert!(
                names.insert(check.name),
                "two checks are named {}",
                check.name
            );
        }
    }
}
