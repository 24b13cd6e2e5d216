//! Responders for what Debian can no longer serve: SSL 2.0, SSL 3.0, export suites, TLS
//! compression, Heartbleed, CCS injection, insecure renegotiation, ignored fallback SCSV,
//! a ROBOT padding oracle.

use shared::{Grade, ProtocolVersion as V, VulnerabilityStatus as Status};
use testbed::legacy::{FallbackScsv, RsaPadding};
use testbed::{
    DhGroup, LeafKey, LeafSpec, LegacyServer, LegacyServerSpec, ServerCertificate, SslV2Server,
    SslV2Spec, TestPki,
};

use crate::support::{blocking, cap, full_scan, ids, supported, vulnerability};

fn certificate(pki: &TestPki, name: &str) -> ServerCertificate {
    ServerCertificate::from_leaf(&pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid(name)
    }))
    .unwrap()
}

async fn legacy(spec: LegacyServerSpec) -> LegacyServer {
    blocking(move || LegacyServer::start(spec).unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn sslv2_is_drown() {
    let pki = TestPki::new();
    let spec = SslV2Spec::new(certificate(&pki, "v2.test"));
    let server = blocking(move || SslV2Server::start(spec).unwrap()).await;
    let report = full_scan(&pki, "v2.test", server.addr(), None).await;
    assert_eq!(supported(&report), [V::Ssl2]);
    assert!(!report.protocol(V::Ssl2).unwrap().cipher_suites.is_empty());
    assert_eq!(cap(&report, "protocol-sslv2"), Some(Grade::F));
    assert_eq!(vulnerability(&report, "drown"), Status::Vulnerable);
    assert_eq!(
        report.certificates.len(),
        1,
        "the certificate of the SSL 2.0 SERVER-HELLO"
    );
    assert_eq!(report.rating.grade_ignoring_trust, Grade::F);
}

#[tokio::test(flavor = "multi_thread")]
async fn sslv3_only_is_poodle_and_fails() {
    let pki = TestPki::new();
    let server = legacy(LegacyServerSpec::sslv3_only(certificate(&pki, "v3.test"))).await;
    let report = full_scan(&pki, "v3.test", server.addr(), None).await;
    assert_eq!(supported(&report), [V::Ssl3]);
    assert_eq!(
        cap(&report, "protocol-sslv3"),
        Some(Grade::F),
        "SSL 3.0 as the best protocol"
    );
    assert_eq!(vulnerability(&report, "poodle-sslv3"), Status::Vulnerable);
    assert!(ids(&report).contains("insecure-renegotiation"));
    assert_eq!(report.grade, Grade::F);
}

#[tokio::test(flavor = "multi_thread")]
async fn fallback_scsv_honoured_or_ignored() {
    let pki = TestPki::new();
    for (mode, expect_finding) in [(FallbackScsv::Honour, false), (FallbackScsv::Ignore, true)] {
        let server = legacy(LegacyServerSpec::sslv3_and_tls(
            certificate(&pki, "fallback.test"),
            mode,
        ))
        .await;
        let report = full_scan(&pki, "fallback.test", server.addr(), None).await;
        assert_eq!(supported(&report), [V::Ssl3, V::Tls10, V::Tls11, V::Tls12]);
        assert_eq!(
            ids(&report).contains("no-fallback-scsv"),
            expect_finding,
            "{mode:?}: {:?}",
            report.features
        );
        assert_eq!(report.features.fallback_scsv, Some(!expect_finding));
        // 2009r: TLS_FALLBACK_SCSV is no longer graded; the finding caps nothing.
        assert_eq!(cap(&report, "no-fallback-scsv"), None);
        assert!(
            !report
                .rating
                .caps
                .iter()
                .any(|c| c.finding_id.as_str() == "no-fallback-scsv")
        );
        assert_eq!(report.rating.rules_version, shared::RATING_RULES_VERSION);
        assert_eq!(cap(&report, "poodle-sslv3"), Some(Grade::C));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_suites_are_freak_and_logjam() {
    let pki = TestPki::new();
    let server = legacy(LegacyServerSpec::export(certificate(&pki, "export.test"))).await;
    let report = full_scan(&pki, "export.test", server.addr(), None).await;
    for id in ["cipher-export", "freak", "logjam"] {
        assert_eq!(cap(&report, id), Some(Grade::F), "{id}: {:?}", ids(&report));
    }
    let details: Vec<&str> = report
        .protocols
        .iter()
        .flat_map(|p| p.cipher_suites.iter())
        .filter_map(|s| s.key_exchange_detail.as_deref())
        .collect();
    assert!(
        details.contains(&"RSA 512") && details.contains(&"DH 512"),
        "{details:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn compression_is_crime() {
    let pki = TestPki::new();
    let server = legacy(LegacyServerSpec::compression(certificate(
        &pki,
        "crime.test",
    )))
    .await;
    let report = full_scan(&pki, "crime.test", server.addr(), None).await;
    assert_eq!(report.features.compression, Some(true));
    assert_eq!(cap(&report, "tls-compression"), Some(Grade::C));
    assert_eq!(vulnerability(&report, "crime"), Status::Vulnerable);
}

#[tokio::test(flavor = "multi_thread")]
async fn heartbleed_is_told_from_a_patched_server() {
    let pki = TestPki::new();
    for vulnerable in [true, false] {
        let server = legacy(LegacyServerSpec::heartbleed(
            certificate(&pki, "hb.test"),
            vulnerable,
        ))
        .await;
        let report = full_scan(&pki, "hb.test", server.addr(), None).await;
        assert_eq!(report.features.heartbeat, Some(true));
        assert_eq!(ids(&report).contains("heartbleed"), vulnerable);
        assert_eq!(
            vulnerability(&report, "heartbleed"),
            if vulnerable {
                Status::Vulnerable
            } else {
                Status::NotVulnerable
            }
        );
        if vulnerable {
            assert_eq!(report.grade, Grade::F);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ccs_injection_is_told_from_a_patched_server() {
    let pki = TestPki::new();
    for vulnerable in [true, false] {
        let server = legacy(LegacyServerSpec::ccs_injection(
            certificate(&pki, "ccs.test"),
            vulnerable,
        ))
        .await;
        let report = full_scan(&pki, "ccs.test", server.addr(), None).await;
        assert_eq!(
            vulnerability(&report, "ccs-injection"),
            if vulnerable {
                Status::Vulnerable
            } else {
                Status::NotVulnerable
            }
        );
        assert_eq!(
            cap(&report, "ccs-injection"),
            vulnerable.then_some(Grade::F)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn renegotiation_without_rfc_5746_is_insecure() {
    let pki = TestPki::new();
    for secure in [false, true] {
        let server = legacy(LegacyServerSpec::renegotiation(
            certificate(&pki, "reneg.test"),
            secure,
        ))
        .await;
        let report = full_scan(&pki, "reneg.test", server.addr(), None).await;
        assert_eq!(report.features.secure_renegotiation, Some(secure));
        assert_eq!(ids(&report).contains("insecure-renegotiation"), !secure);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn robot_oracle_is_told_from_a_uniform_server_and_a_flaky_one() {
    let pki = TestPki::new();
    for (name, padding, expected) in [
        ("robot.test", RsaPadding::Oracle, Status::Vulnerable),
        (
            "robot-uniform.test",
            RsaPadding::Uniform,
            Status::NotVulnerable,
        ),
        ("robot-flaky.test", RsaPadding::Flaky, Status::Inconclusive),
    ] {
        let server = legacy(LegacyServerSpec::robot(certificate(&pki, name), padding)).await;
        let report = full_scan(&pki, name, server.addr(), None).await;
        let robot = report
            .vulnerabilities
            .iter()
            .find(|v| v.id == "robot")
            .expect("a robot entry");
        assert_eq!(robot.status, expected, "{padding:?}: {}", robot.detail);
        assert_eq!(
            cap(&report, "robot"),
            (padding == RsaPadding::Oracle).then_some(Grade::F),
            "{padding:?}"
        );
        match padding {
            RsaPadding::Oracle => {
                assert!(robot.detail.contains("strong"), "{}", robot.detail);
                assert!(
                    robot.detail.contains("wrong first bytes: decrypt_error"),
                    "{}",
                    robot.detail
                );
                assert_eq!(report.grade, Grade::F);
            }
            RsaPadding::Uniform => {
                assert!(robot.detail.contains("bad_record_mac"), "{}", robot.detail)
            }
            RsaPadding::Flaky => {
                assert!(
                    robot.detail.contains("differed between two rounds"),
                    "{}",
                    robot.detail
                );
                assert!(report.errors.iter().any(|e| e.check == "robot"));
            }
        }
    }
}

/// A server whose DH "prime" is composite (2^2047 + 1, divisible by 3): something no real
/// server library will load, so a responder serves it. DHE then offers no secrecy: F.
#[tokio::test(flavor = "multi_thread")]
async fn a_composite_dh_modulus_is_not_prime() {
    let pki = TestPki::new();
    let mut spec = LegacyServerSpec::new(certificate(&pki, "composite.test"));
    spec.cipher_suites = vec![0x009e, 0xc02f];
    spec.dhe_group = DhGroup::Composite2048;
    let server = legacy(spec).await;
    let report = full_scan(&pki, "composite.test", server.addr(), None).await;
    let groups = report.key_exchange.dh_groups.as_ref().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].bits, 2048);
    assert_eq!(
        (groups[0].prime, groups[0].safe_prime),
        (Some(false), Some(false))
    );
    assert_eq!(cap(&report, "dh-not-prime"), Some(Grade::F));
    assert!(!ids(&report).contains("dh-not-safe-prime"));
    assert_eq!(report.grade, Grade::F);
}
