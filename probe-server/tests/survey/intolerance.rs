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

use crate::support::{blocking, full_scan, ids, suites, supported};

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
    }
}
