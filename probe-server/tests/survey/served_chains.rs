//! Both certificates: nginx holding an ECDSA and an RSA certificate serves each to the
//! clients that can verify it. The scan must report both chains, judge each, and grade the
//! weakest a client can be served; a server with one certificate gets no extra noise.

use shared::{Grade, Report, TrustIssueKind};
use testbed::{Leaf, LeafKey, LeafSpec, NginxServer, TestPki};

use crate::support::{assert_matches_schema, blocking, full_scan, ids, quick_scan};

/// nginx serving `ecdsa` and, when given, `rsa` too (two `ssl_certificate` pairs).
async fn nginx(ecdsa: Leaf, rsa: Option<Leaf>) -> NginxServer {
    blocking(move || {
        let mut builder = NginxServer::builder(&ecdsa)
            .http_redirect(false)
            .hsts("max-age=31536000");
        if let Some(rsa) = &rsa {
            builder = builder.server_directive(&format!(
                "ssl_certificate {}; ssl_certificate_key {};",
                rsa.chain_pem.display(),
                rsa.key_pem.display()
            ));
        }
        builder.start().unwrap()
    })
    .await
}

fn rsa(spec: LeafSpec) -> LeafSpec {
    LeafSpec {
        key: LeafKey::Rsa2048,
        ..spec
    }
}

fn other_chain_findings(report: &Report) -> Vec<&str> {
    report
        .findings
        .iter()
        .filter(|f| f.title.ends_with("(the RSA certificate)"))
        .map(|f| f.id.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_rsa_certificate_beside_a_good_ecdsa_one_is_found_and_caps_the_grade() {
    let pki = TestPki::new();
    let ecdsa = pki.leaf(&LeafSpec::valid("dual.test"));
    let expired_rsa = pki.leaf(&rsa(LeafSpec::expired("dual.test", 3)));
    let server = nginx(ecdsa, Some(expired_rsa)).await;

    let report = quick_scan(&pki, "dual.test", server.addr()).await;
    assert_matches_schema(&report);
    // The browser-like client gets the ECDSA chain, and it is sound.
    assert_eq!(report.certificates[0].key.algorithm, "EC");
    assert!(report.trust.trusted, "{:?}", report.trust.issues);
    // The RSA chain goes to clients that cannot verify ECDSA.
    assert_eq!(report.other_chains.len(), 1, "{:#?}", report.other_chains);
    let other = &report.other_chains[0];
    assert_eq!(other.key_type, "RSA");
    assert_eq!(
        other.served_to,
        "clients offering only RSA or EdDSA signatures"
    );
    assert_eq!(other.certificates[0].key.algorithm, "RSA");
    assert_eq!(other.certificates[0].key.bits, 2048);
    assert_eq!(other.certificates[0].days_remaining, -3);
    assert_eq!(other.certificates.len(), 2, "leaf and intermediate");
    assert!(!other.trust.trusted);
    assert!(
        other
            .trust
            .issues
            .iter()
            .any(|i| i.kind == TrustIssueKind::Expired),
        "{:?}",
        other.trust.issues
    );
    // Its defect is the site's: found, named, and it caps the grade.
    assert_eq!(other_chain_findings(&report), ["cert-expired"]);
    let finding = report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "cert-expired")
        .unwrap();
    assert!(
        finding
            .detail
            .starts_with("The RSA chain, served to clients offering only RSA or EdDSA signatures:"),
        "{}",
        finding.detail
    );
    assert_eq!(report.grade, Grade::T);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // First, resumption, TLS 1.2, the RSA chain, the EdDSA-only ask (refused); port 80 is
    // closed but still a connection attempt.
    assert_eq!(report.connections, 6, "{}", report.connections);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misnamed_rsa_certificate_makes_the_site_m_in_a_full_scan() {
    let pki = TestPki::new();
    let ecdsa = pki.leaf(&LeafSpec::valid("dual.test"));
    let misnamed_rsa = pki.leaf(&rsa(LeafSpec::valid("other.test")));
    let server = nginx(ecdsa, Some(misnamed_rsa)).await;

    let report = full_scan(&pki, "dual.test", server.addr(), None).await;
    assert_eq!(report.other_chains.len(), 1, "{:#?}", report.other_chains);
    assert!(!report.other_chains[0].trust.name_matches);
    assert_eq!(other_chain_findings(&report), ["cert-name-mismatch"]);
    assert_eq!(report.grade, Grade::M, "{:?}", ids(&report));
    assert!(report.trust.trusted && report.trust.name_matches);
    // The full report carries the verified client's TLS 1.3 sessions too (nginx: tickets,
    // no early data by default).
    assert_eq!(report.features.tls13_resumption, Some(true));
    assert_eq!(report.features.early_data, Some(false));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_certificate_means_one_chain_and_one_extra_connection() {
    let pki = TestPki::new();
    let ecdsa = pki.leaf(&LeafSpec::valid("single.test"));
    let server = nginx(ecdsa, None).await;

    let report = quick_scan(&pki, "single.test", server.addr()).await;
    assert!(report.other_chains.is_empty(), "{:#?}", report.other_chains);
    assert!(
        !serde_json::to_string(&report)
            .unwrap()
            .contains("other_chains"),
        "no extra noise in the report"
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(ids(&report).is_empty(), "{:?}", ids(&report));
    assert_eq!(report.grade, Grade::APlus);
    // First, resumption, TLS 1.2, port 80 (closed), and the one refused ask for another
    // certificate.
    assert_eq!(report.connections, 5, "{}", report.connections);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ed25519_certificate_beside_an_ecdsa_one_is_found_and_judged() {
    let pki = TestPki::new();
    let ecdsa = pki.leaf(&LeafSpec::valid("ed.test"));
    let ed25519 = pki.leaf(&LeafSpec {
        key: LeafKey::Ed25519,
        ..LeafSpec::valid("ed.test")
    });
    let ed25519_sha256 = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(ed25519.cert_der.as_ref()))
    };
    let server = nginx(ecdsa, Some(ed25519)).await;

    let report = quick_scan(&pki, "ed.test", server.addr()).await;
    assert_matches_schema(&report);
    assert_eq!(report.certificates[0].key.algorithm, "EC");
    assert!(report.trust.trusted, "{:?}", report.trust.issues);
    assert_eq!(report.other_chains.len(), 1, "{:#?}", report.other_chains);
    let other = &report.other_chains[0];
    assert_eq!(other.key_type, "Ed25519");
    assert_eq!(
        other.served_to,
        "clients offering only RSA or EdDSA signatures"
    );
    assert_eq!(other.certificates[0].key.algorithm, "Ed25519");
    assert_eq!(other.certificates[0].sha256_fingerprint, ed25519_sha256);
    assert_eq!(other.certificates.len(), 2, "leaf and intermediate");
    assert!(other.trust.trusted, "{:?}", other.trust.issues);
    assert!(other.trust.name_matches);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(ids(&report).is_empty(), "{:?}", ids(&report));
    assert_eq!(report.grade, Grade::APlus);
}

#[tokio::test(flavor = "multi_thread")]
async fn ecdsa_rsa_and_ed25519_certificates_on_one_server_are_three_chains() {
    let pki = TestPki::new();
    let ecdsa = pki.leaf(&LeafSpec::valid("triple.test"));
    let rsa = pki.leaf(&rsa(LeafSpec::valid("triple.test")));
    let ed25519 = pki.leaf(&LeafSpec {
        key: LeafKey::Ed25519,
        ..LeafSpec::valid("triple.test")
    });
    let server = blocking(move || {
        let mut builder = NginxServer::builder(&ecdsa)
            .http_redirect(false)
            .hsts("max-age=31536000");
        for leaf in [&rsa, &ed25519] {
            builder = builder.server_directive(&format!(
                "ssl_certificate {}; ssl_certificate_key {};",
                leaf.chain_pem.display(),
                leaf.key_pem.display()
            ));
        }
        builder.start().unwrap()
    })
    .await;

    let report = quick_scan(&pki, "triple.test", server.addr()).await;
    assert_matches_schema(&report);
    assert_eq!(report.certificates[0].key.algorithm, "EC");
    let mut key_types: Vec<&str> = report
        .other_chains
        .iter()
        .map(|c| c.key_type.as_str())
        .collect();
    key_types.sort_unstable();
    assert_eq!(key_types, ["Ed25519", "RSA"], "{:#?}", report.other_chains);
    assert!(report.other_chains.iter().all(|c| c.trust.trusted));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(ids(&report).is_empty(), "{:?}", ids(&report));
    assert_eq!(report.grade, Grade::APlus);
}
