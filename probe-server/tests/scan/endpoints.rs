//! A name with several addresses: two real TLS servers on 127.0.0.1 and 127.0.0.2 behind one
//! name (a resolver of the test's own answers both), one of them stale.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use probe_server::scan::ScanRequest;
use probe_server::target::Target;
use probe_server::target::resolve::StaticResolver;
use shared::{FindingId, Grade, ProtocolVersion, Report, ScanMode};
use testbed::{
    HttpAnswer, Leaf, LeafKey, LeafSpec, NginxServer, TestPki, TlsServer, TlsServerSpec,
};

use crate::support::{assert_matches_schema, good_spec, scanner};

const FIRST: [u8; 4] = [127, 0, 0, 1];
const SECOND: [u8; 4] = [127, 0, 0, 2];

/// Two servers for `name` on one port: `first` on 127.0.0.1, `second` on 127.0.0.2.
async fn two_servers(first: TlsServerSpec, second: TlsServerSpec) -> (TlsServer, TlsServer) {
    let a = TlsServer::start_on(first, SocketAddr::from((FIRST, 0))).await;
    let b = TlsServer::start_on(second, SocketAddr::from((SECOND, a.port()))).await;
    (a, b)
}

async fn scan(
    pki: &TestPki,
    name: &str,
    port: u16,
    addresses: &[[u8; 4]],
    endpoint: Option<IpAddr>,
) -> Report {
    let mut scanner = scanner(pki, &[]);
    let ips: Vec<IpAddr> = addresses.iter().map(|a| IpAddr::from(*a)).collect();
    scanner.egress.resolver = Arc::new(StaticResolver::new().with(name, &ips));
    let request = ScanRequest {
        target: Target::parse(&format!("{name}:{port}")).unwrap(),
        sni: None,
        mode: ScanMode::Full,
        endpoint,
    };
    let report = scanner.scan(&request).await.unwrap();
    assert_matches_schema(&report);
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn every_address_is_scanned_and_a_stale_one_is_named_and_grades_the_site() {
    let pki = TestPki::new();
    let name = "twice.test";
    let fresh = pki.leaf(&LeafSpec::valid(name));
    let stale = pki.leaf(&LeafSpec::expired(name, 10));
    let mut old = good_spec(&pki, &stale);
    old.versions = vec![&rustls::version::TLS12];
    let (a, b) = two_servers(good_spec(&pki, &fresh), old).await;
    let report = scan(&pki, name, a.port(), &[FIRST, SECOND], None).await;

    assert_eq!(report.endpoints.len(), 2, "{:?}", report.endpoints);
    let first = &report.endpoints[0];
    let second = &report.endpoints[1];
    assert_eq!(first.ip, IpAddr::from(FIRST));
    assert_eq!(second.ip, IpAddr::from(SECOND));
    assert_ne!(first.leaf_sha256, second.leaf_sha256);
    assert!(first.protocols.contains(&ProtocolVersion::Tls13));
    assert!(!second.protocols.contains(&ProtocolVersion::Tls13));
    assert_eq!(second.grade, Some(Grade::T), "the expired certificate");
    // The site is what its worst address serves.
    assert_eq!(report.grade, Grade::T);
    assert_eq!(report.target.ip, IpAddr::from(SECOND));
    let differ = report
        .findings
        .iter()
        .find(|f| f.id == FindingId::EndpointsDiffer)
        .expect("the difference is a finding");
    for what in ["certificate", "protocols", "127.0.0.1", "127.0.0.2"] {
        assert!(differ.detail.contains(what), "{what}: {}", differ.detail);
    }
    let text = probe_server::cli::render::render(&report, false);
    assert!(text.contains("2 addresses scanned"), "{text}");
    assert!(text.contains("127.0.0.2"), "{text}");
    assert!(a.connections() > 0 && b.connections() > 0);
    assert!(report.connections as usize >= a.connections() + b.connections() - 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_chosen_address_is_scanned_alone() {
    let pki = TestPki::new();
    let name = "chosen.test";
    let leaf = pki.leaf(&LeafSpec::valid(name));
    let (a, b) = two_servers(good_spec(&pki, &leaf), good_spec(&pki, &leaf)).await;
    let report = scan(
        &pki,
        name,
        a.port(),
        &[FIRST, SECOND],
        Some(IpAddr::from(SECOND)),
    )
    .await;
    assert!(report.endpoints.is_empty());
    assert_eq!(report.target.ip, IpAddr::from(SECOND));
    assert_eq!(a.connections(), 0, "the other address was not scanned");
    assert!(b.connections() > 0);

    // An address the name does not resolve to is refused, not scanned.
    let mut scanner = scanner(&pki, &[]);
    scanner.egress.resolver =
        Arc::new(StaticResolver::new().with(name, &[IpAddr::from(FIRST), IpAddr::from(SECOND)]));
    let request = ScanRequest {
        target: Target::parse(&format!("{name}:{}", a.port())).unwrap(),
        sni: None,
        mode: ScanMode::Full,
        endpoint: Some(IpAddr::from([127, 0, 0, 9])),
    };
    let error = scanner.scan(&request).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("does not resolve to this address"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn identical_addresses_give_no_difference_and_a_silent_one_is_a_finding() {
    let pki = TestPki::new();
    let name = "same.test";
    let leaf = pki.leaf(&LeafSpec::valid(name));
    let mut spec = good_spec(&pki, &leaf);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000; includeSubDomains");
    let (a, _b) = two_servers(spec, good_spec(&pki, &leaf)).await;
    // 127.0.0.3 has nothing on that port.
    let report = scan(&pki, name, a.port(), &[FIRST, SECOND, [127, 0, 0, 3]], None).await;
    assert_eq!(report.endpoints.len(), 3);
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.id == FindingId::EndpointsDiffer),
        "{:?}",
        report.findings
    );
    let silent = &report.endpoints[2];
    assert_eq!(silent.grade, None);
    assert!(silent.error.is_some());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.id == FindingId::EndpointUnreachable && f.detail.contains("127.0.0.3"))
    );
}

/// nginx for one name on `addr`: the `ecdsa` chain, and the `rsa` one too when given (two
/// `ssl_certificate` pairs: clients that cannot verify ECDSA get the RSA chain).
async fn nginx_on(addr: SocketAddr, ecdsa: &Leaf, rsa: Option<&Leaf>) -> NginxServer {
    let mut builder = NginxServer::builder(ecdsa)
        .https_on(addr)
        .http_redirect(false)
        .hsts("max-age=31536000");
    if let Some(rsa) = rsa {
        builder = builder.server_directive(&format!(
            "ssl_certificate {}; ssl_certificate_key {};",
            rsa.chain_pem.display(),
            rsa.key_pem.display()
        ));
    }
    tokio::task::spawn_blocking(move || builder.start().unwrap())
        .await
        .unwrap()
}

fn other_chains_line(report: &Report) -> Option<String> {
    let differ = report
        .findings
        .iter()
        .find(|f| f.id == FindingId::EndpointsDiffer)?;
    differ
        .detail
        .split(". ")
        .find(|line| line.contains("other chains"))
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_extra_or_a_different_rsa_chain_behind_one_address_is_a_difference() {
    let pki = TestPki::new();
    let name = "chains.test";
    let ecdsa = pki.leaf(&LeafSpec::valid(name));
    let rsa_key = |spec: LeafSpec| LeafSpec {
        key: LeafKey::Rsa2048,
        ..spec
    };
    let rsa = pki.leaf(&rsa_key(LeafSpec::valid(name)));
    let other_rsa = pki.leaf(&rsa_key(LeafSpec::valid(name)));
    let fingerprint = |leaf: &Leaf| {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(leaf.cert_der.as_ref()))
    };

    // Each case: what 127.0.0.2 serves besides the shared ECDSA chain (127.0.0.1 serves
    // `rsa` beside it), and whether that is a difference.
    for (second_rsa, differs) in [(Some(&rsa), false), (None, true), (Some(&other_rsa), true)] {
        let a = nginx_on(SocketAddr::from((FIRST, 0)), &ecdsa, Some(&rsa)).await;
        let b = nginx_on(SocketAddr::from((SECOND, a.port())), &ecdsa, second_rsa).await;
        let report = scan(&pki, name, a.port(), &[FIRST, SECOND], None).await;
        let case = format!("second RSA: {:?}", second_rsa.map(fingerprint));
        assert_eq!(report.endpoints.len(), 2, "{case}: {:?}", report.endpoints);
        let (first, second) = (&report.endpoints[0], &report.endpoints[1]);
        // The same ECDSA leaf to a browser-like client on both: only the other chains can
        // tell them apart.
        assert_eq!(first.leaf_sha256, second.leaf_sha256, "{case}");
        assert_eq!(
            first.leaf_sha256.as_deref(),
            Some(fingerprint(&ecdsa).as_str())
        );
        let leaves = |e: &shared::EndpointResult| -> Vec<(String, String)> {
            e.other_chain_leaves
                .iter()
                .map(|l| (l.key_type.clone(), l.sha256.clone()))
                .collect()
        };
        assert_eq!(
            leaves(first),
            [("RSA".to_owned(), fingerprint(&rsa))],
            "{case}"
        );
        let expected: Vec<(String, String)> = second_rsa
            .map(|l| ("RSA".to_owned(), fingerprint(l)))
            .into_iter()
            .collect();
        assert_eq!(leaves(second), expected, "{case}");
        let line = other_chains_line(&report);
        if differs {
            let line = line.unwrap_or_else(|| panic!("{case}: {:#?}", report.findings));
            let short = |leaf: &Leaf| fingerprint(leaf)[..16].to_owned();
            assert!(line.contains("127.0.0.1: RSA "), "{case}: {line}");
            assert!(line.contains(&short(&rsa)), "{case}: {line}");
            match second_rsa {
                None => assert!(line.contains("127.0.0.2: none"), "{case}: {line}"),
                Some(other) => assert!(line.contains(&short(other)), "{case}: {line}"),
            }
        } else {
            assert_eq!(line, None, "{case}: {:#?}", report.findings);
            assert!(
                !report
                    .findings
                    .iter()
                    .any(|f| f.id == FindingId::EndpointsDiffer),
                "{case}: {:#?}",
                report.findings
            );
        }
        drop((a, b));
    }
}
