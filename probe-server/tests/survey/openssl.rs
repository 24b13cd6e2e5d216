//! Debian's OpenSSL 3 (`openssl s_server`, one connection at a time).

use shared::{Grade, ProtocolVersion as V, VulnerabilityStatus};
use testbed::{DhGroup, LeafKey, LeafSpec, OpensslServer, ProtocolVersion as TV, TestPki};

use crate::support::{
    blocking, cap, full_scan, ids, quick_scan, suite_set, supported, vulnerability,
};

fn rsa_leaf(pki: &TestPki, name: &str) -> testbed::Leaf {
    pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid(name)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn tls13_only_with_two_suites() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("thirteen.test"));
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls13])
            .ciphersuites("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "thirteen.test", server.addr(), None).await;
    assert_eq!(supported(&report), [V::Tls13]);
    assert_eq!(suite_set(&report, V::Tls13), [0x1301, 0x1303].into());
    let groups: Vec<&str> = report
        .key_exchange
        .groups
        .as_ref()
        .unwrap()
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert!(
        groups.contains(&"x25519") && groups.contains(&"secp256r1"),
        "{groups:?}"
    );
    assert!(
        !groups.iter().any(|g| g.contains("MLKEM")),
        "OpenSSL 3.0 has no ML-KEM: {groups:?}"
    );
    assert!(ids(&report).contains("no-pq-key-exchange"));
    assert_eq!(
        vulnerability(&report, "heartbleed"),
        VulnerabilityStatus::NotVulnerable
    );
    assert_eq!(
        vulnerability(&report, "robot"),
        VulnerabilityStatus::NotVulnerable,
        "TLS 1.3 only: no RSA key exchange"
    );
    assert_eq!(report.grade, Grade::AMinus, "no HSTS: {:?}", ids(&report));
    assert!(report.rating.score.unwrap().total >= 80);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls12_and_13_with_an_exact_suite_list() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "modern.test");
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .cipher("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:AES256-SHA")
            .ciphersuites("TLS_AES_256_GCM_SHA384")
            .server_preference(true)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "modern.test", server.addr(), None).await;
    assert_eq!(supported(&report), [V::Tls12, V::Tls13]);
    let tls12 = report.protocol(V::Tls12).unwrap();
    assert_eq!(
        tls12.cipher_suites.iter().map(|s| s.id).collect::<Vec<_>>(),
        [0xc02f, 0xcca8, 0x0035],
        "server order"
    );
    assert_eq!(tls12.server_preference, Some(true));
    assert_eq!(suite_set(&report, V::Tls13), [0x1302].into());
    let found = ids(&report);
    assert!(
        found.contains("rsa-key-exchange") && found.contains("cipher-cbc"),
        "{found:?}"
    );
    assert!(
        !found.contains("no-forward-secrecy"),
        "the server prefers ECDHE"
    );
    assert_eq!(
        report.features.fallback_scsv,
        Some(true),
        "OpenSSL sets the RFC 8446 downgrade sentinel"
    );
    assert_eq!(report.features.secure_renegotiation, Some(true));
    assert_eq!(report.features.compression, Some(false));
    // AES256-SHA is RSA key exchange: OpenSSL 3 answers every padding alike (implicit
    // rejection), after the garbage Finished.
    let robot = report
        .vulnerabilities
        .iter()
        .find(|v| v.id == "robot")
        .unwrap();
    assert_eq!(
        robot.status,
        VulnerabilityStatus::NotVulnerable,
        "{}",
        robot.detail
    );
    assert!(robot.detail.contains("alike"), "{}", robot.detail);
    let schemes = report.key_exchange.signature_algorithms.as_ref().unwrap();
    assert!(
        schemes.iter().any(|s| s.starts_with("rsa_pss_rsae")),
        "{schemes:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls10_and_11_at_seclevel_0_are_obsolete() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "old.test");
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls10, TV::Tls11])
            .cipher("AES128-SHA:ECDHE-RSA-AES256-SHA")
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "old.test", server.addr(), None).await;
    assert_eq!(supported(&report), [V::Tls10, V::Tls11]);
    assert_eq!(suite_set(&report, V::Tls10), [0x002f, 0xc014].into());
    assert_eq!(suite_set(&report, V::Tls11), [0x002f, 0xc014].into());
    let found = ids(&report);
    for id in [
        "protocol-tls10",
        "protocol-tls11",
        "no-tls12",
        "no-aead",
        "beast",
    ] {
        assert!(found.contains(id), "{id} missing from {found:?}");
    }
    assert_eq!(report.grade, Grade::C, "no TLS 1.2 caps at C");
    assert!(report.connection.is_none(), "no modern client can connect");
    assert!(report.trust.trusted, "the chain came from a raw handshake");
    assert_eq!(
        report.features.fallback_scsv,
        Some(true),
        "OpenSSL honours TLS_FALLBACK_SCSV"
    );

    // A quick scan still answers: the chain comes from one raw hello.
    let quick = quick_scan(&pki, "old.test", server.addr()).await;
    assert!(quick.connection.is_none());
    assert_eq!(quick.certificates.len(), 2);
    assert!(quick.trust.trusted);
    assert!(
        quick.errors.iter().any(|e| e.check == "verified-handshake"),
        "{:?}",
        quick.errors
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn null_and_anonymous_suites_fail() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "null.test");
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .cipher("NULL-SHA256:ADH-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
            .seclevel(0)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "null.test", server.addr(), None).await;
    assert_eq!(
        suite_set(&report, V::Tls12),
        [0x003b, 0x00a6, 0xc02f].into()
    );
    assert_eq!(cap(&report, "cipher-null"), Some(Grade::F));
    assert_eq!(cap(&report, "cipher-anon"), Some(Grade::F));
    assert_eq!(report.grade, Grade::F);
    assert_eq!(
        report.rating.score.unwrap().key_exchange,
        0,
        "anonymous key exchange scores 0"
    );
}

/// An anonymous suite without encryption is both: no server authentication (cipher-anon)
/// and no encryption (cipher-null).
#[tokio::test(flavor = "multi_thread")]
async fn an_anonymous_null_suite_is_anonymous_and_null() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "anon-null.test");
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .cipher("AECDH-NULL-SHA:ECDHE-RSA-AES128-GCM-SHA256")
            .seclevel(0)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "anon-null.test", server.addr(), None).await;
    assert_eq!(suite_set(&report, V::Tls12), [0xc015, 0xc02f].into());
    for id in ["cipher-anon", "cipher-null"] {
        assert_eq!(cap(&report, id), Some(Grade::F), "{id}: {:?}", ids(&report));
    }
    let anon = report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "cipher-anon")
        .unwrap();
    assert!(
        anon.detail.contains("TLS_ECDH_anon_WITH_NULL_SHA"),
        "{}",
        anon.detail
    );
    assert_eq!(report.grade, Grade::F);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_1024_bit_dh_group_is_logjam() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "dh.test");
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .cipher("DHE-RSA-AES128-GCM-SHA256")
            .dhparam(DhGroup::Oakley1024)
            .seclevel(1)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "dh.test", server.addr(), None).await;
    assert_eq!(suite_set(&report, V::Tls12), [0x009e].into());
    assert_eq!(report.key_exchange.dh_min_bits, Some(1024));
    assert_eq!(
        report.protocol(V::Tls12).unwrap().cipher_suites[0]
            .key_exchange_detail
            .as_deref(),
        Some("DH 1024")
    );
    assert_eq!(cap(&report, "logjam"), Some(Grade::B));
    assert_eq!(
        vulnerability(&report, "logjam"),
        VulnerabilityStatus::Vulnerable
    );
    // The prime itself is named: the widely shared Oakley group 2, a safe prime.
    let groups = report.key_exchange.dh_groups.as_ref().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert!(
        groups[0]
            .known_as
            .as_deref()
            .unwrap()
            .starts_with("RFC 2409 Oakley group 2"),
        "{groups:?}"
    );
    assert_eq!(
        (groups[0].prime, groups[0].safe_prime),
        (Some(true), Some(true))
    );
    assert_eq!(cap(&report, "dh-common-prime"), Some(Grade::B));
    let common = report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "dh-common-prime")
        .unwrap();
    assert!(
        common.detail.contains("Oakley group 2"),
        "{}",
        common.detail
    );
    assert!(!ids(&report).contains("dh-not-safe-prime"));
}

/// A DH prime of the server's own that is not a safe prime (DSA-style parameters, whose
/// subgroup order TLS never sends): prime, not safe, reported with its fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_dh_prime_that_is_not_safe_is_reported() {
    let pki = TestPki::new();
    let params = pki.dir().join("dsa-style-dh.pem");
    let dsa_style = blocking(|| testbed::DhParams::dsa_style(2048).unwrap()).await;
    std::fs::write(&params, dsa_style.pem()).unwrap();
    let leaf = rsa_leaf(&pki, "dsa-dh.test");
    let path = params.display().to_string();
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .cipher("DHE-RSA-AES128-GCM-SHA256")
            .arg("-dhparam")
            .arg(&path)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "dsa-dh.test", server.addr(), None).await;
    assert_eq!(suite_set(&report, V::Tls12), [0x009e].into());
    let groups = report.key_exchange.dh_groups.as_ref().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].bits, 2048);
    assert_eq!(groups[0].known_as, None);
    assert_eq!(
        (groups[0].prime, groups[0].safe_prime),
        (Some(true), Some(false))
    );
    let found = ids(&report);
    assert!(found.contains("dh-not-safe-prime"), "{found:?}");
    assert!(
        !found.contains("dh-not-prime") && !found.contains("weak-dh"),
        "{found:?}"
    );
    assert_eq!(cap(&report, "dh-not-safe-prime"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_1024_bit_rsa_certificate_is_weak() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa1024,
        ..LeafSpec::valid("weak.test")
    });
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .seclevel(0)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "weak.test", server.addr(), None).await;
    assert_eq!(
        (
            report.certificates[0].key.algorithm.as_str(),
            report.certificates[0].key.bits
        ),
        ("RSA", 1024)
    );
    assert_eq!(cap(&report, "cert-weak-key"), Some(Grade::B));
    // The chain is fine, but a modern client refuses a 1024-bit handshake signature.
    assert!(report.trust.trusted);
    assert!(report.connection.is_none());
}

/// The TLS 1.3 groups in the server's exact order, for OpenSSL's default list and for an
/// order no guess of the parallel enumeration foresees (as `openssl s_server -groups` sets
/// it: OpenSSL names the first of its list that the client offers in its HelloRetryRequest).
#[tokio::test(flavor = "multi_thread")]
async fn tls13_groups_come_out_in_the_servers_exact_order() {
    let pki = TestPki::new();
    for (list, expected) in [
        (
            None,
            &[
                "x25519",
                "secp256r1",
                "x448",
                "secp521r1",
                "secp384r1",
                "ffdhe2048",
                "ffdhe3072",
                "ffdhe4096",
                "ffdhe6144",
                "ffdhe8192",
            ][..],
        ),
        (
            Some("ffdhe4096:secp384r1:ffdhe2048:X25519:secp521r1"),
            &["ffdhe4096", "secp384r1", "ffdhe2048", "x25519", "secp521r1"][..],
        ),
    ] {
        let leaf = pki.leaf(&LeafSpec::valid("groups.test"));
        let server = blocking(move || {
            let builder = OpensslServer::builder(&leaf).versions(&[TV::Tls13]);
            match list {
                Some(list) => builder.groups(list),
                None => builder,
            }
            .start()
            .unwrap()
        })
        .await;
        let report = full_scan(&pki, "groups.test", server.addr(), None).await;
        let groups: Vec<&str> = report
            .key_exchange
            .groups
            .as_ref()
            .unwrap()
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        assert_eq!(groups, expected, "{list:?}: {:?}", report.errors);
        assert_eq!(report.key_exchange.server_group_preference, Some(true));
    }
}
