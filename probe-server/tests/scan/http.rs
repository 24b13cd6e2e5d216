//! HSTS, the port-80 redirect, and protocol versions a modern client can see.

use shared::{Grade, ProtocolVersion};
use testbed::{HttpAnswer, LeafSpec, TestPki};

use crate::support::{Site, good_spec, ids, scan_site};

#[tokio::test(flavor = "multi_thread")]
async fn missing_and_short_hsts_are_findings_with_their_caps() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("nohsts.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.answer = HttpAnswer::ok();
    let report = scan_site(&pki, &Site::start("nohsts.test", spec, None).await).await;
    assert_eq!(ids(&report), ["no-hsts"]);
    assert_eq!(report.grade, Grade::AMinus);
    assert!(report.http.as_ref().unwrap().hsts.is_none());

    let leaf = pki.leaf(&LeafSpec::valid("short.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.answer = HttpAnswer::with_hsts("max-age=86400");
    let report = scan_site(&pki, &Site::start("short.test", spec, None).await).await;
    assert_eq!(ids(&report), ["hsts-short"]);
    assert_eq!(report.grade, Grade::A);
    assert!(
        report.findings[0].detail.contains("1 days") || report.findings[0].detail.contains("86400")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hsts_is_read_over_http_1_1_too() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("h1.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.alpn = vec![b"http/1.1".to_vec()];
    let report = scan_site(&pki, &Site::start("h1.test", spec, None).await).await;
    assert_eq!(
        report.connection.as_ref().unwrap().alpn.as_deref(),
        Some("http/1.1")
    );
    assert_eq!(
        report.http.as_ref().unwrap().hsts.as_ref().unwrap().max_age,
        Some(31_536_000)
    );
    assert_eq!(report.grade, Grade::APlus);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_that_does_not_redirect_is_reported() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("plain.test"));
    let site = Site::start("plain.test", good_spec(&pki, &leaf), Some(HttpAnswer::ok())).await;
    let report = scan_site(&pki, &site).await;
    assert_eq!(ids(&report), ["no-https-redirect"]);
    let plain = report.http.as_ref().unwrap().plain_http.as_ref().unwrap();
    assert_eq!((plain.status, plain.redirects_to_https), (200, false));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_1_2_only_server_lacks_tls_1_3() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("twelve.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.versions = vec![&rustls::version::TLS12];
    let report = scan_site(&pki, &Site::start("twelve.test", spec, None).await).await;
    assert_eq!(ids(&report), ["no-tls13"]);
    assert_eq!(report.grade, Grade::AMinus);
    assert_eq!(
        report.connection.as_ref().unwrap().protocol_version,
        ProtocolVersion::Tls12
    );
    assert_eq!(
        report.protocol(ProtocolVersion::Tls13).unwrap().supported,
        Some(false)
    );
    assert_eq!(
        report.protocol(ProtocolVersion::Tls12).unwrap().supported,
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_1_3_only_server_refuses_tls_1_2() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("thirteen.test"));
    let mut spec = good_spec(&pki, &leaf);
    spec.versions = vec![&rustls::version::TLS13];
    let report = scan_site(&pki, &Site::start("thirteen.test", spec, None).await).await;
    assert_eq!(
        report.protocol(ProtocolVersion::Tls12).unwrap().supported,
        Some(false)
    );
    assert!(ids(&report).is_empty(), "{:?}", ids(&report));
}
