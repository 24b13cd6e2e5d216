//! TLSRef compliance over real servers: nginx configured exactly as the intermediate profile
//! says comes out intermediate-compliant (and not modern, for exactly the reasons the
//! profiles differ); a legacy-configured nginx gets every deviation its configuration
//! implies.

use shared::{Compliance, ProfileCompliance, Report};
use testbed::{DhGroup, LeafKey, LeafSpec, NginxServer, ProtocolVersion as TV, TestPki};
use time::{Duration, OffsetDateTime};

use crate::support::{blocking, full_scan};

/// The profile's TLS 1.2 suites, as its nginx configuration writes them.
const INTERMEDIATE_CIPHERS: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
ECDHE-RSA-CHACHA20-POLY1305";

fn compliance(report: &Report) -> &Compliance {
    report
        .compliance
        .as_ref()
        .expect("a full scan judges compliance")
}

fn profile<'a>(report: &'a Report, name: &str) -> &'a ProfileCompliance {
    compliance(report).profile(name).expect("the profile")
}

fn whats(p: &ProfileCompliance) -> Vec<&str> {
    p.deviations.iter().map(|d| d.what.as_str()).collect()
}

fn detail<'a>(p: &'a ProfileCompliance, what: &str) -> &'a str {
    p.deviations
        .iter()
        .find(|d| d.what == what)
        .map(|d| d.detail.as_str())
        .unwrap_or_else(|| panic!("no {what} deviation: {:#?}", p.deviations))
}

/// nginx as the intermediate profile's configuration has it: TLS 1.2 and 1.3, the profile's
/// suites (OpenSSL's default TLS 1.3 suites are the profile's three), its groups as far as
/// OpenSSL 3.0 has them, OCSP stapling, two-year HSTS, the client's suite order.
fn intermediate_nginx(leaf: &testbed::Leaf, staple: Vec<u8>) -> NginxServer {
    NginxServer::builder(leaf)
        .versions(&[TV::Tls12, TV::Tls13])
        .ciphers(INTERMEDIATE_CIPHERS)
        .server_directive("ssl_ecdh_curve X25519:prime256v1:secp384r1;")
        .ocsp_staple(staple)
        .hsts("max-age=63072000")
        .start()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_intermediate_nginx_with_an_ecdsa_certificate() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("intermediate.test"));
    let staple = pki.ocsp_response(&leaf, false);
    let server = blocking(move || intermediate_nginx(&leaf, staple)).await;
    let report = full_scan(&pki, "intermediate.test", server.addr(), server.http_addr()).await;
    let c = compliance(&report);
    assert_eq!(c.guideline, "TLSRef 6.0");

    let intermediate = profile(&report, "intermediate");
    assert!(
        intermediate.compliant,
        "{intermediate:#?}\nerrors: {:?}",
        report.errors
    );
    // OpenSSL 3.0 has no X25519MLKEM768: a note, as the profile's configuration leaves it out.
    assert!(
        intermediate
            .notes
            .iter()
            .any(|n| n.what == "groups" && n.detail.starts_with("Does not offer X25519MLKEM768,")),
        "{:?}",
        intermediate.notes
    );

    let modern = profile(&report, "modern");
    assert!(!modern.compliant);
    assert_eq!(whats(modern), ["tls-version", "tls12-suites"]);
    assert_eq!(
        detail(modern, "tls-version"),
        "offers TLS 1.2; the profile allows TLS 1.3"
    );
    // With an ECDSA certificate nginx negotiates only the ECDSA half of the list.
    assert_eq!(
        detail(modern, "tls12-suites"),
        "offers TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
         TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256; the profile allows no TLS 1.2 (or \
         older) suites"
    );
    let text = probe_server::cli::render::render(&report, false);
    assert!(text.contains("    intermediate  compliant\n"), "{text}");
    assert!(
        text.contains("    modern        not compliant: 2 deviations\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_intermediate_nginx_with_an_rsa_certificate() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("rsa-intermediate.test")
    });
    let staple = pki.ocsp_response(&leaf, false);
    let server = blocking(move || intermediate_nginx(&leaf, staple)).await;
    let report = full_scan(
        &pki,
        "rsa-intermediate.test",
        server.addr(),
        server.http_addr(),
    )
    .await;
    let intermediate = profile(&report, "intermediate");
    assert!(
        intermediate.compliant,
        "{intermediate:#?}\nerrors: {:?}",
        report.errors
    );
    let modern = profile(&report, "modern");
    assert_eq!(
        whats(modern),
        ["tls-version", "tls12-suites", "certificate-type"]
    );
    assert_eq!(
        detail(modern, "certificate-type"),
        "the certificate has an RSA 2048-bit key; the profile allows ecdsa certificates"
    );
    assert!(
        detail(modern, "tls12-suites").starts_with(
            "offers TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
             TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;"
        ),
        "{}",
        detail(modern, "tls12-suites")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_legacy_nginx_gets_every_deviation_its_configuration_implies() {
    let pki = TestPki::new();
    let now = OffsetDateTime::now_utc();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        not_before: now - Duration::days(10),
        not_after: now + Duration::days(388),
        ..LeafSpec::valid("legacy-compliance.test")
    });
    let server = blocking(move || {
        NginxServer::builder(&leaf)
            .versions(&[TV::Tls10, TV::Tls11, TV::Tls12])
            .ciphers("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:DHE-RSA-AES128-GCM-SHA256:AES128-SHA")
            .dhparam(DhGroup::Oakley1024)
            .server_directive("ssl_ecdh_curve prime256v1:secp521r1;")
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "legacy-compliance.test", server.addr(), None).await;
    let intermediate = profile(&report, "intermediate");
    assert_eq!(
        whats(intermediate),
        [
            "tls-version",
            "tls12-suites",
            "groups",
            "dh-size",
            "certificate-lifespan",
            "hsts-max-age"
        ],
        "{intermediate:#?}\nerrors: {:?}",
        report.errors
    );
    assert_eq!(
        detail(intermediate, "tls-version"),
        "offers TLS 1.0, TLS 1.1; lacks TLS 1.3; the profile allows TLS 1.2, TLS 1.3"
    );
    assert!(
        detail(intermediate, "tls12-suites").starts_with(
            "offers TLS_RSA_WITH_AES_128_CBC_SHA, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, \
             TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA; lacks TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
             TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;"
        ),
        "{}",
        detail(intermediate, "tls12-suites")
    );
    assert_eq!(
        detail(intermediate, "groups"),
        "offers secp521r1; the profile allows X25519MLKEM768, x25519, secp256r1, secp384r1"
    );
    assert_eq!(
        detail(intermediate, "dh-size"),
        "uses a 1024-bit DH group with DHE suites; the profile asks for at least 2048 bits"
    );
    assert!(
        detail(intermediate, "certificate-lifespan")
            .starts_with("the certificate is valid for 398 days"),
        "{}",
        detail(intermediate, "certificate-lifespan")
    );
    // The leaf names no OCSP responder: stapling is not applicable, and said so.
    assert!(
        intermediate
            .notes
            .iter()
            .any(|n| n.what == "ocsp-stapling" && n.detail.starts_with("Not applicable")),
        "{:?}",
        intermediate.notes
    );
    let modern = profile(&report, "modern");
    assert_eq!(
        whats(modern),
        [
            "tls-version",
            "tls12-suites",
            "groups",
            "certificate-type",
            "certificate-lifespan",
            "hsts-max-age"
        ]
    );
}
