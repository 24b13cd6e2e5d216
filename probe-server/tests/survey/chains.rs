//! Certificate chains as real servers send them: what is true of each certificate now, and
//! what is true of the chain as a whole.

use shared::{Grade, Report, TrustIssueKind};
use testbed::{HttpAnswer, HttpServer, LeafSpec, OpensslServer, ProtocolVersion as TV, TestPki};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::support::{blocking, cap, full_scan, full_scan_with, ids};

fn day(year: i32, month: Month, day: u8) -> OffsetDateTime {
    Date::from_calendar_date(year, month, day)
        .unwrap()
        .midnight()
        .assume_utc()
}

/// A leaf valid 2020-01-01..2021-01-01 under an intermediate issued last week: the leaf is
/// expired (T), nothing is "not valid yet", and the never-overlapping dates are an info
/// finding of their own.
#[tokio::test(flavor = "multi_thread")]
async fn an_old_leaf_under_a_young_intermediate_is_expired_and_nothing_else() {
    let now = OffsetDateTime::now_utc();
    let pki =
        TestPki::with_intermediate_validity(now - Duration::days(7), now + Duration::days(365));
    let leaf = pki.leaf(&LeafSpec {
        not_before: day(2020, Month::January, 1),
        not_after: day(2021, Month::January, 1),
        ..LeafSpec::valid("stale.test")
    });
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "stale.test", server.addr(), None).await;
    assert_eq!(report.certificates.len(), 2, "leaf and intermediate sent");
    let found = ids(&report);
    assert!(!found.contains("cert-not-yet-valid"), "{found:?}");
    assert!(found.contains("cert-expired"), "{found:?}");
    assert!(found.contains("chain-validity-disjoint"), "{found:?}");
    assert_eq!(cap(&report, "cert-expired"), Some(Grade::T));
    assert_eq!(cap(&report, "chain-validity-disjoint"), None);
    let kinds: Vec<TrustIssueKind> = report.trust.issues.iter().map(|i| i.kind).collect();
    assert!(!kinds.contains(&TrustIssueKind::NotYetValid), "{kinds:?}");
    let expired = report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "cert-expired")
        .unwrap();
    assert!(
        expired
            .detail
            .starts_with("The certificate expired on 2021-01-01"),
        "{}",
        expired.detail
    );
    assert_eq!(report.grade, Grade::T);
}

/// The chain-incomplete finding of `report`.
fn incomplete(report: &Report) -> &shared::Finding {
    report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "chain-incomplete")
        .unwrap_or_else(|| panic!("no chain-incomplete: {:?}", ids(report)))
}

/// What the AIA URL of a leaf serves, for the four ways chain completion can go.
enum Aia {
    /// The leaf names no caIssuers URL.
    None,
    /// The URL answers 404.
    Fails,
    /// The URL serves another PKI's intermediate, which does not verify the leaf.
    Stranger,
    /// The URL serves the right intermediate.
    Intermediate,
}

/// `openssl s_server` sending the leaf alone, its AIA URL answering as `aia` says.
async fn scan_leaf_alone(pki: &TestPki, name: &str, aia: Aia) -> Report {
    let der = |cert: rustls_pki_types::CertificateDer<'static>| HttpAnswer {
        status: 200,
        headers: vec![("Content-Type".into(), "application/pkix-cert".into())],
        body: cert.to_vec(),
    };
    let answer = match aia {
        Aia::None => None,
        Aia::Fails => Some(HttpAnswer {
            status: 404,
            headers: Vec::new(),
            body: b"not here".to_vec(),
        }),
        Aia::Stranger => Some(der(TestPki::new().intermediate_der())),
        Aia::Intermediate => Some(der(pki.intermediate_der())),
    };
    let http = match answer {
        Some(answer) => Some(HttpServer::start(answer).await),
        None => None,
    };
    // Issuers are published on port 80, as CAs do; the name is mapped to the test's server.
    let leaf = pki.leaf(&LeafSpec {
        ca_issuers_url: http
            .as_ref()
            .map(|_| "http://ca.test/intermediate.der".to_owned()),
        ..LeafSpec::valid(name)
    });
    let issuer_rules: Vec<String> = http
        .iter()
        .map(|h| format!("ca.test:80:127.0.0.1:{}", h.port()))
        .collect();
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .leaf_only()
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan_with(pki, name, server.addr(), None, &issuer_rules).await;
    assert_eq!(report.certificates.len(), 1, "the leaf alone was sent");
    report
}

/// The server does not send the leaf's issuer and AIA cannot rescue it: chain-incomplete
/// (caps at T) names the missing issuer and says why AIA did not help, next to cert-untrusted.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_intermediate_that_aia_cannot_rescue_is_incomplete_and_untrusted() {
    let pki = TestPki::new();
    for (aia, name, why) in [
        (Aia::None, "no-aia.test", "names no caIssuers URL"),
        (Aia::Fails, "aia-fails.test", "could not be fetched"),
        (
            Aia::Stranger,
            "aia-stranger.test",
            "does not complete the chain",
        ),
    ] {
        let report = scan_leaf_alone(&pki, name, aia).await;
        let found = ids(&report);
        assert!(
            found.contains("chain-incomplete") && found.contains("cert-untrusted"),
            "{name}: {found:?}"
        );
        let finding = incomplete(&report);
        assert_eq!(finding.grade_cap, Some(Grade::T), "{name}");
        assert!(
            finding.detail.contains("Probe Test Intermediate") && finding.detail.contains(why),
            "{name}: {}",
            finding.detail
        );
        assert!(!report.trust.trusted, "{name}");
        assert_eq!(report.trust.chain_complete, Some(false), "{name}");
        assert_eq!(report.grade, Grade::T, "{name}");
    }
}

/// AIA supplies the right intermediate: trusted, chain-incomplete caps at B.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_intermediate_that_aia_supplies_caps_at_b() {
    let pki = TestPki::new();
    let report = scan_leaf_alone(&pki, "aia-ok.test", Aia::Intermediate).await;
    assert!(
        !ids(&report).contains("cert-untrusted"),
        "{:?}",
        ids(&report)
    );
    let finding = incomplete(&report);
    assert_eq!(finding.grade_cap, Some(Grade::B));
    assert!(
        finding.detail.contains("Probe Test Intermediate"),
        "{}",
        finding.detail
    );
    assert!(report.trust.trusted);
    assert_eq!(report.trust.chain_complete, Some(false));
    assert_eq!(report.grade, Grade::B, "{:?}", ids(&report));
}

/// A leaf with 10 000 subjectAltNames: a Certificate message of 200+ KB, valid TLS that
/// rustls (64 KiB) and OpenSSL (100 KB) refuse. The scan reads and judges the chain with its
/// own engine, reports the rest as usual, and says such clients cannot connect.
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_message_over_64_kib_is_judged_and_reported() {
    let pki = TestPki::new();
    let mut names = vec!["big.test".to_owned()];
    names.extend((0..10_000).map(|i| format!("host{i:05}.big.test")));
    let leaf = pki.leaf(&LeafSpec {
        names,
        ..LeafSpec::valid("big.test")
    });
    assert!(leaf.cert_der.len() > 200_000, "{}", leaf.cert_der.len());
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .start()
            .unwrap()
    })
    .await;
    for report in [
        crate::support::quick_scan(&pki, "big.test", server.addr()).await,
        full_scan(&pki, "big.test", server.addr(), None).await,
    ] {
        let mode = report.scan_mode;
        assert_eq!(
            report.certificates.len(),
            2,
            "{mode:?}: leaf and intermediate"
        );
        assert_eq!(report.certificates[0].subject_alt_names.len(), 10_001);
        // webpki parses no certificate over 64 KiB: the path is not checked, and said so.
        assert!(!report.trust.trusted);
        let kinds: Vec<TrustIssueKind> = report.trust.issues.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, [TrustIssueKind::CertificateTooLarge], "{mode:?}");
        assert!(
            report.trust.issues[0].message.contains("over the 64 KiB"),
            "{}",
            report.trust.issues[0].message
        );
        assert!(report.trust.name_matches);
        let found = ids(&report);
        assert!(
            !found.contains("cert-name-mismatch") && !found.contains("cert-untrusted"),
            "{mode:?}: {found:?}"
        );
        assert!(
            found.contains("cert-message-too-large"),
            "{mode:?}: {found:?}"
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.id.as_str() == "cert-message-too-large")
            .unwrap();
        assert!(
            finding
                .detail
                .contains("OpenSSL (100 KB by default) refuse it"),
            "{}",
            finding.detail
        );
        // The leaf itself is over 64 KiB: not verified, T, with this finding's fix.
        assert_eq!(finding.grade_cap, Some(Grade::T));
        assert_eq!(report.grade, Grade::T);
        // The verified (rustls) handshake could not take it: said in the errors, not fatal.
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.check == "verified-handshake"),
            "{mode:?}: {:?}",
            report.errors
        );
        if mode == shared::ScanMode::Full {
            assert_eq!(
                crate::support::supported(&report),
                [
                    shared::ProtocolVersion::Tls12,
                    shared::ProtocolVersion::Tls13
                ]
            );
        }
    }
}
