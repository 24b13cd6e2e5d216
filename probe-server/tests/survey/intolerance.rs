//! Servers that refuse a hello for its form rather than what it asks (testbed responders:
//! a suite-count limit, status_request intolerance, a hello-length limit): the survey retries
//! with plain hellos of at most 64 suites, finds the version supported with its exact suites
//! in the server's order, and the report comes out although the verified handshake fails,
//! with `hello-intolerance` saying how the full hello was refused.

use shared::ProtocolVersion as V;
use testbed::legacy::Intolerance;
use testbed::{
    LeafKey, LeafSpec, LegacyServer, LegacyServerSpec, ProtocolVersion as TV, ServerCertificate,
    TestPki,
};

use crate::support::{blocking, full_scan, ids, suites, supported, vulnerability};

/// TLS 1.2 only, seven RSA-certificate suites in server order.
const SUITES: [u16; 7] = [0xc02f, 0x009e, 0xc013, 0x0033, 0x009c, 0x002f, 0x0035];

async fn intolerant(pki: &TestPki, intolerance: Intolerance) -> LegacyServer {
    let certificate = ServerCertificate::from_leaf(&pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("intolerant.test")
    }))
    .unwrap();
    let spec = LegacyServerSpec {
        versions: vec![TV::Tls12],
        cipher_suites: SUITES.to_vec(),
        intolerance,
        ..LegacyServerSpec::new(certificate)
    };
    blocking(move || LegacyServer::start(spec).unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_intolerance_still_gives_the_exact_suites() {
    let pki = TestPki::new();
    for intolerance in [
        Intolerance::SuiteCount(150),
        Intolerance::StatusRequest,
        Intolerance::LongHello(255),
    ] {
        let server = intolerant(&pki, intolerance).await;
        let report = full_scan(&pki, "intolerant.test", server.addr(), None).await;
        assert_eq!(
            supported(&report),
            [V::Tls12],
            "{intolerance:?}: {:?}",
            report.errors
        );
        assert_eq!(suites(&report, V::Tls12), SUITES, "{intolerance:?}");
        assert_eq!(
            report.protocol(V::Tls12).unwrap().server_preference,
            Some(true),
            "{intolerance:?}"
        );
        assert!(
            !report.certificates.is_empty(),
            "{intolerance:?}: the chain"
        );
        let how = report.protocol(V::Tls12).unwrap().intolerance.as_deref();
        assert!(
            how.is_some_and(|h| h.contains("plain hellos of at most 64 suites")),
            "{intolerance:?}: {how:?}"
        );
        assert!(
            ids(&report).contains("hello-intolerance"),
            "{intolerance:?}"
        );
    }
}

/// A server that closes the connection, without an alert, on a hello it cannot serve (JSSE
/// with an ECDSA certificate offered only RSA key exchange): ROBOT says "no RSA key
/// exchange", not an error.
#[tokio::test(flavor = "multi_thread")]
async fn robot_on_a_server_that_closes_on_rsa_only_hellos_is_not_vulnerable() {
    let pki = TestPki::new();
    let certificate = ServerCertificate::from_leaf(&pki.leaf(&LeafSpec {
        key: LeafKey::EcdsaP256,
        ..LeafSpec::valid("ecdsa-silent.test")
    }))
    .unwrap();
    let spec = LegacyServerSpec {
        versions: vec![TV::Tls12],
        cipher_suites: vec![0xc02b, 0xc009],
        intolerance: Intolerance::SilentRefusal,
        ..LegacyServerSpec::new(certificate)
    };
    let server = blocking(move || LegacyServer::start(spec).unwrap()).await;
    let report = full_scan(&pki, "ecdsa-silent.test", server.addr(), None).await;
    assert_eq!(suites(&report, V::Tls12), [0xc02b, 0xc009]);
    assert_eq!(
        vulnerability(&report, "robot"),
        shared::VulnerabilityStatus::NotVulnerable,
        "{:?}",
        report.vulnerabilities.iter().find(|v| v.id == "robot")
    );
}
