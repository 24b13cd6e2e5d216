//! Debian's nginx: the server's own suite order, HSTS, and the port-80 redirect.

use shared::{Grade, ProtocolVersion as V};
use testbed::{LeafSpec, NginxServer, ProtocolVersion as TV, TestPki};

use crate::support::{blocking, full_scan, ids, suites, supported};

#[tokio::test(flavor = "multi_thread")]
async fn server_order_hsts_and_redirect() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("nginx.test"));
    let server = blocking(move || {
        NginxServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .ciphers("ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
            .prefer_server_ciphers(true)
            .hsts("max-age=63072000; includeSubDomains; preload")
            .http_redirect(true)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "nginx.test", server.addr(), server.http_addr()).await;
    assert_eq!(supported(&report), [V::Tls12, V::Tls13]);
    assert_eq!(
        suites(&report, V::Tls12),
        [0xcca9, 0xc02c, 0xc02b],
        "the configured order"
    );
    assert_eq!(
        report.protocol(V::Tls12).unwrap().server_preference,
        Some(true)
    );
    let http = report.http.as_ref().unwrap();
    let hsts = http.hsts.as_ref().unwrap();
    assert_eq!(
        (hsts.max_age, hsts.include_subdomains, hsts.preload),
        (Some(63_072_000), true, true)
    );
    assert!(http.plain_http.as_ref().unwrap().redirects_to_https);
    assert_eq!(report.grade, Grade::APlus, "{:?}", ids(&report));
    assert!(report.rating.complete, "errors: {:?}", report.errors);
}
