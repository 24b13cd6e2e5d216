//! One server per certificate defect; the report must say exactly what is wrong.

use shared::{Grade, OcspCertStatus, ProtocolVersion, TrustIssueKind};
use testbed::{HttpAnswer, LeafIssuer, LeafSpec, TestPki, TlsServerSpec};

use crate::support::{Site, cap_of, good_spec, ids, scan_site, scan_site_with};

#[tokio::test(flavor = "multi_thread")]
async fn a_good_server_gets_a_plus_with_every_detail() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let site = Site::start(
        "good.test",
        good_spec(&pki, &leaf),
        Some(HttpAnswer::redirect("https://good.test/")),
    )
    .await;
    let report = scan_site(&pki, &site).await;

    assert_eq!(ids(&report), Vec::<&str>::new(), "{:#?}", report.findings);
    assert_eq!(report.grade, Grade::APlus);
    assert!(
        !report.rating.complete,
        "a quick scan's grade is provisional"
    );
    assert_eq!(report.target.host, "good.test");
    assert_eq!(report.target.sni.as_deref(), Some("good.test"));
    assert_eq!(report.target.ip.to_string(), "127.0.0.1");
    assert_eq!(report.target.port, 443);

    let connection = report.connection.as_ref().unwrap();
    assert_eq!(connection.protocol_version, ProtocolVersion::Tls13);
    assert_eq!(connection.alpn.as_deref(), Some("h2"));
    assert!(
        connection.cipher_suite.starts_with("TLS_"),
        "{}",
        connection.cipher_suite
    );
    assert_eq!(
        connection.key_exchange_group.as_deref(),
        Some("X25519MLKEM768")
    );
    assert_eq!(connection.session_resumed, Some(true));
    assert!(!connection.ocsp_stapled);
    assert_eq!(
        report.protocol(ProtocolVersion::Tls12).unwrap().supported,
        Some(true)
    );
    assert_eq!(
        report.protocol(ProtocolVersion::Tls13).unwrap().supported,
        Some(true)
    );
    assert_eq!(
        report.protocol(ProtocolVersion::Tls10).unwrap().supported,
        None,
        "not tested by a quick scan"
    );

    assert_eq!(report.certificates.len(), 2);
    let leaf_report = &report.certificates[0];
    assert_eq!(leaf_report.common_name.as_deref(), Some("good.test"));
    assert_eq!(
        leaf_report.issuer_common_name.as_deref(),
        Some("Probe Test Intermediate")
    );
    assert_eq!(leaf_report.subject_alt_names, ["good.test"]);
    assert_eq!(
        (leaf_report.key.algorithm.as_str(), leaf_report.key.bits),
        ("EC", 256)
    );
    assert_eq!(leaf_report.key.curve.as_deref(), Some("secp256r1"));
    assert_eq!(leaf_report.signature_algorithm, "ecdsa-with-SHA256");
    assert!(
        (78..=80).contains(&leaf_report.days_remaining),
        "{}",
        leaf_report.days_remaining
    );
    assert_eq!(leaf_report.sha256_fingerprint.len(), 64);
    assert!(!leaf_report.self_signed);
    assert!(report.certificates[1].is_ca);

    assert!(report.trust.trusted);
    assert!(report.trust.name_matches);
    assert_eq!(report.trust.chain_complete, Some(true));
    assert!(
        report
            .trust
            .anchor
            .as_deref()
            .unwrap()
            .contains("Probe Test Root"),
        "{:?}",
        report.trust.anchor
    );

    let http = report.http.as_ref().unwrap();
    assert_eq!(http.https_status, Some(200));
    assert_eq!(http.hsts.as_ref().unwrap().max_age, Some(31_536_000));
    assert!(http.hsts.as_ref().unwrap().include_subdomains);
    assert!(http.plain_http.as_ref().unwrap().redirects_to_https);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_certificate_is_t_and_says_when() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::expired("old.test", 3));
    let site = Site::start("old.test", good_spec(&pki, &leaf), None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(ids(&report), ["cert-expired"]);
    assert_eq!(report.grade, Grade::T);
    assert_eq!(report.rating.grade_ignoring_trust, Grade::APlus);
    assert!(
        report.findings[0].detail.contains("3 days ago"),
        "{}",
        report.findings[0].detail
    );
    assert_eq!(report.certificates[0].days_remaining, -3);
    assert!(!report.trust.trusted);
    assert_eq!(
        report.trust.chain_complete,
        Some(true),
        "expiry must not hide the chain verdict"
    );
    let cap = cap_of(&report, "cert-expired").unwrap();
    assert!(cap.limiting);
    assert_eq!(cap.grade_without, Grade::APlus);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_not_yet_valid_certificate_is_t() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::not_yet_valid("early.test", 5));
    let site = Site::start("early.test", good_spec(&pki, &leaf), None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(ids(&report), ["cert-not-yet-valid"]);
    assert_eq!(report.grade, Grade::T);
    assert!(
        report.findings[0].detail.contains("in 4 days")
            || report.findings[0].detail.contains("in 5 days")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_certificate_is_named_as_such() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        issuer: LeafIssuer::SelfSigned,
        ..LeafSpec::valid("self.test")
    });
    let site = Site::start("self.test", good_spec(&pki, &leaf), None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(ids(&report), ["cert-self-signed"]);
    assert_eq!(report.grade, Grade::T);
    assert!(report.certificates[0].self_signed);
    assert_eq!(report.trust.issues[0].kind, TrustIssueKind::SelfSigned);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_for_another_name_is_m() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("other.test"));
    let site = Site::start("asked.test", good_spec(&pki, &leaf), None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(ids(&report), ["cert-name-mismatch"]);
    assert_eq!(report.grade, Grade::M);
    assert!(report.trust.trusted, "the chain itself is fine");
    assert!(!report.trust.name_matches);
    assert!(
        report.findings[0].detail.contains("other.test")
            && report.findings[0].detail.contains("asked.test")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn several_defects_are_all_reported() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        issuer: LeafIssuer::SelfSigned,
        ..LeafSpec::expired("other.test", 10)
    });
    let site = Site::start("asked.test", good_spec(&pki, &leaf), None).await;
    let report = scan_site(&pki, &site).await;
    let mut found = ids(&report);
    found.sort_unstable();
    assert_eq!(
        found,
        ["cert-expired", "cert-name-mismatch", "cert-self-signed"]
    );
    assert_eq!(report.grade, Grade::M);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_intermediate_without_aia_is_untrusted() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("lonely.test"));
    let mut spec = TlsServerSpec::new(&leaf, &[]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000");
    let site = Site::start("lonely.test", spec, None).await;
    let report = scan_site(&pki, &site).await;
    // Untrusted, and the fix the operator needs: send the intermediate.
    let mut found = ids(&report);
    found.sort_unstable();
    assert_eq!(found, ["cert-untrusted", "chain-incomplete"]);
    let kinds: Vec<TrustIssueKind> = report.trust.issues.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [
            TrustIssueKind::IncompleteChain,
            TrustIssueKind::UnknownIssuer
        ]
    );
    for finding in &report.findings {
        assert!(
            finding.detail.contains("Probe Test Intermediate"),
            "{}",
            finding.detail
        );
    }
    assert_eq!(cap_of(&report, "chain-incomplete").unwrap().cap, Grade::T);
    assert_eq!(report.trust.chain_complete, Some(false));
    assert_eq!(report.grade, Grade::T);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_intermediate_found_through_aia_is_an_incomplete_chain() {
    let pki = TestPki::new();
    // The intermediate is published over plain HTTP, as CAs publish them.
    let aia = testbed::HttpServer::start(HttpAnswer {
        status: 200,
        headers: vec![("Content-Type".into(), "application/pkix-cert".into())],
        body: pki.intermediate_der().to_vec(),
    })
    .await;
    // On port 80, as CAs publish them; the name is mapped to the test's listener.
    let ca_rule = format!("ca.test:80:127.0.0.1:{}", aia.port());
    let leaf = pki.leaf(&LeafSpec {
        ca_issuers_url: Some("http://ca.test/intermediate.der".into()),
        ..LeafSpec::valid("partial.test")
    });
    let mut spec = TlsServerSpec::new(&leaf, &[]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000");
    let site = Site::start("partial.test", spec, None).await;
    let report = scan_site_with(&pki, &site, &[ca_rule]).await;
    assert_eq!(aia.accepted(), 1, "one fetch of the issuer");
    assert_eq!(ids(&report), ["chain-incomplete"]);
    assert_eq!(report.grade, Grade::B);
    assert!(report.trust.trusted);
    assert_eq!(report.trust.chain_complete, Some(false));
    assert_eq!(report.certificates.len(), 1, "the chain as sent");
}

/// A hostile certificate's caIssuers URL naming another port of some host: the probe must
/// not connect there (it would be a port scanner for whoever writes certificates), and the
/// report says why without any socket error text.
#[tokio::test(flavor = "multi_thread")]
async fn an_issuer_url_naming_an_unlisted_port_is_never_connected_to() {
    let pki = TestPki::new();
    let listener = testbed::HttpServer::start(HttpAnswer {
        status: 200,
        headers: Vec::new(),
        body: pki.intermediate_der().to_vec(),
    })
    .await;
    let leaf = pki.leaf(&LeafSpec {
        ca_issuers_url: Some(format!("http://127.0.0.1:{}/x", listener.port())),
        ..LeafSpec::valid("portscan.test")
    });
    let mut spec = TlsServerSpec::new(&leaf, &[]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000");
    let site = Site::start("portscan.test", spec, None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(
        listener.accepted(),
        0,
        "the probe connected to the named port"
    );
    assert!(!report.trust.trusted);
    let refusal = report
        .errors
        .iter()
        .find(|e| e.check == "chain-completion")
        .expect("the refused fetch is reported");
    assert!(
        refusal
            .message
            .contains("issuers are fetched only from ports 80, 443"),
        "{}",
        refusal.message
    );
}

/// An issuer URL on port 80 where nothing answers and one where the connection is reset read
/// the same: the report does not tell closed from filtered from reset.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_issuer_fetch_says_only_that_it_failed() {
    let pki = TestPki::new();
    let closed = crate::support::closed_port();
    let leaf = pki.leaf(&LeafSpec {
        ca_issuers_url: Some("http://ca.test/issuer.der".into()),
        ..LeafSpec::valid("unreachable.test")
    });
    let mut spec = TlsServerSpec::new(&leaf, &[]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000");
    let site = Site::start("unreachable.test", spec, None).await;
    let report = scan_site_with(&pki, &site, &[format!("ca.test:80:127.0.0.1:{closed}")]).await;
    let failure = report
        .errors
        .iter()
        .find(|e| e.check == "chain-completion")
        .expect("the failed fetch is reported");
    assert_eq!(
        failure.message,
        "fetching the issuer from http://ca.test/issuer.der: the issuer could not be fetched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sha1_signature_is_weak_and_untrusted() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        sha1_signature: true,
        ..LeafSpec::valid("sha1.test")
    });
    let site = Site::start("sha1.test", good_spec(&pki, &leaf), None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(
        report.certificates[0].signature_algorithm,
        "ecdsa-with-SHA1"
    );
    let mut found = ids(&report);
    found.sort_unstable();
    assert_eq!(found, ["cert-untrusted", "cert-weak-signature"]);
    assert_eq!(report.grade, Grade::T);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stapled_revoked_response_is_t_and_a_good_one_is_read() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("revoked.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.ocsp = Some(pki.ocsp_response(&leaf, true));
    let site = Site::start("revoked.test", spec, None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(ids(&report), ["cert-revoked"]);
    assert_eq!(report.grade, Grade::T);
    let ocsp = report.trust.ocsp.as_ref().unwrap();
    assert_eq!(ocsp.status, OcspCertStatus::Revoked);
    assert!(ocsp.signature_valid);
    assert!(
        ocsp.revoked_at
            .as_deref()
            .unwrap()
            .starts_with("2024-01-01")
    );
    assert!(report.connection.as_ref().unwrap().ocsp_stapled);

    let leaf = pki.leaf(&LeafSpec::valid("fine.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.ocsp = Some(pki.ocsp_response(&leaf, false));
    let site = Site::start("fine.test", spec, None).await;
    let report = scan_site(&pki, &site).await;
    assert!(ids(&report).is_empty(), "{:?}", ids(&report));
    let ocsp = report.trust.ocsp.as_ref().unwrap();
    assert_eq!(
        (ocsp.status, ocsp.signature_valid),
        (OcspCertStatus::Good, true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_expiring_soon_costs_the_a_plus() {
    let pki = TestPki::new();
    let now = time::OffsetDateTime::now_utc();
    let leaf = pki.leaf(&LeafSpec {
        not_after: now + time::Duration::days(12),
        ..LeafSpec::valid("soon.test")
    });
    let site = Site::start("soon.test", good_spec(&pki, &leaf), None).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(ids(&report), ["cert-expiring-soon"]);
    assert_eq!(report.grade, Grade::A);
}
