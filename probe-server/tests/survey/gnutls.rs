//! Debian's GnuTLS (`gnutls-serv`, in a network namespace of its own: it binds 0.0.0.0).

use shared::{Grade, ProtocolVersion as V, VulnerabilityStatus};
use testbed::{GnutlsServer, LeafKey, LeafSpec, TestPki};

use crate::support::{blocking, cap, full_scan, ids, suite_set, vulnerability};

#[tokio::test(flavor = "multi_thread")]
async fn rc4_and_3des_are_found_and_capped() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("gnutls.test")
    });
    let server = blocking(move || {
        GnutlsServer::builder(&leaf)
            .priority("NONE:+VERS-TLS1.2:+VERS-TLS1.0:+ARCFOUR-128:+3DES-CBC:+AES-128-GCM:+RSA:+ECDHE-RSA:+SHA1:+AEAD:+COMP-NULL:+SIGN-ALL:+CURVE-ALL")
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "gnutls.test", server.addr(), None).await;
    let tls12 = suite_set(&report, V::Tls12);
    for suite in [0x0005, 0x000a, 0xc02f, 0x009c] {
        assert!(
            tls12.contains(&suite),
            "0x{suite:04x} missing from {tls12:x?}"
        );
    }
    assert_eq!(cap(&report, "cipher-rc4"), Some(Grade::C));
    assert!(ids(&report).contains("cipher-3des"));
    assert_eq!(
        vulnerability(&report, "sweet32"),
        VulnerabilityStatus::Vulnerable
    );
    assert!(ids(&report).contains("protocol-tls10"));
    assert_eq!(
        vulnerability(&report, "robot"),
        VulnerabilityStatus::NotVulnerable,
        "GnuTLS with RSA key exchange"
    );
    assert!(report.grade >= Grade::C, "{}", report.grade);
}
