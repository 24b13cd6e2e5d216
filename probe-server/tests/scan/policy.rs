//! The site's policy facts against real servers: dnsmasq on loopback answers the name's
//! A, CAA and HTTPS records (the scan's resolver asks it and nothing else), openssl
//! s_server serves a Must-Staple leaf with and without a staple.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use probe_server::pki::trust::TrustStore;
use probe_server::scan::{ScanRequest, Scanner, Timeouts};
use probe_server::target::Target;
use probe_server::target::dns_policy;
use probe_server::target::resolve::SystemResolver;
use shared::{Report, ScanMode};
use testbed::{DnsServer, DnsServerBuilder, LeafSpec, OpensslServer, TestPki};

use crate::support::{assert_matches_schema, closed_port, ids, scanner};

const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

async fn dns(builder: DnsServerBuilder) -> DnsServer {
    tokio::task::spawn_blocking(move || builder.start().unwrap())
        .await
        .unwrap()
}

/// HTTPS rdata (RFC 9460 wire form): priority 1, target ".", alpn h2,h3, and an ech
/// config list when `ech`.
fn https_rdata(ech: bool) -> Vec<u8> {
    let mut rdata = vec![0x00, 0x01, 0x00];
    rdata.extend([0x00, 0x01, 0x00, 0x06, 0x02, b'h', b'2', 0x02, b'h', b'3']);
    if ech {
        rdata.extend([0x00, 0x05, 0x00, 0x04, 0xfe, 0x0d, 0x00, 0x00]);
    }
    rdata
}

/// A full scan of `host:port` whose every lookup goes to `dns` (no --connect-to).
async fn full_scan(pki: &TestPki, dns: &DnsServer, host: &str, port: u16) -> Report {
    let mut scanner = Scanner::new(TrustStore::new(Some(pki.root_pem())).unwrap());
    scanner.egress.resolver = Arc::new(SystemResolver::with_name_servers(&[dns.addr()]).unwrap());
    scanner.timeouts = Timeouts::within(Duration::from_secs(60));
    let request = ScanRequest {
        target: Target::parse(&format!("{host}:{port}")).unwrap(),
        sni: None,
        mode: ScanMode::Full,
        endpoint: None,
    };
    let report = scanner.scan(&request).await.unwrap();
    assert_matches_schema(&report);
    report
}

#[tokio::test]
async fn a_full_scan_reads_the_parents_caa_set_the_https_record_and_flags_must_staple() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        must_staple: true,
        ..LeafSpec::valid("www.policy.test")
    });
    let server = tokio::task::spawn_blocking(move || {
        OpensslServer::builder(&leaf).www(true).start().unwrap()
    })
    .await
    .unwrap();
    let port = server.port();
    // CAA only at the parent: the RFC 8659 climb must find it there.
    let dns = dns(DnsServer::builder()
        .host("www.policy.test", LOOPBACK)
        .caa("policy.test", false, "issue", "letsencrypt.org")
        .caa("policy.test", false, "iodef", "mailto:security@policy.test")
        .record(
            &format!("_{port}._https.www.policy.test"),
            65,
            &https_rdata(true),
        ))
    .await;
    let report = full_scan(&pki, &dns, "www.policy.test", port).await;
    let policy = report.policy.as_ref().expect("a policy section");
    let records = policy
        .dns
        .as_ref()
        .unwrap_or_else(|| panic!("no DNS policy: {:?}\n{}", report.errors, dns.log()));
    assert_eq!(records.caa.found_at.as_deref(), Some("policy.test"));
    let tags: Vec<(&str, &str)> = records
        .caa
        .records
        .iter()
        .map(|r| (r.tag.as_str(), r.value.as_str()))
        .collect();
    assert!(tags.contains(&("issue", "letsencrypt.org")), "{tags:?}");
    assert!(
        tags.contains(&("iodef", "mailto:security@policy.test")),
        "{tags:?}"
    );
    // The test CA is no CA the probe knows a CAA identifier for: no verdict, no finding.
    assert_eq!(records.caa.issuer_allowed, None);
    assert_eq!(records.https.len(), 1, "{:?}", records.https);
    assert_eq!(records.https[0].alpn, ["h2", "h3"]);
    assert!(records.https[0].ech && records.ech_advertised);
    assert!(policy.must_staple);
    let hsts = policy.hsts_preload.as_ref().unwrap();
    assert!(!hsts.listed);
    let found = ids(&report);
    assert!(found.contains(&"must-staple-without-staple"), "{found:?}");
    assert!(!found.contains(&"caa-issuer-not-allowed"), "{found:?}");
    assert!(!found.contains(&"no-caa"), "{found:?}");
    assert!(
        !report.errors.iter().any(|e| e.check == "dns-policy"),
        "{:?}",
        report.errors
    );
    drop(server);
}

#[tokio::test]
async fn a_name_without_caa_anywhere_or_https_records_has_empty_sets() {
    let dns = dns(DnsServer::builder().host("bare.test", LOOPBACK)).await;
    let resolver = SystemResolver::with_name_servers(&[dns.addr()]).unwrap();
    let found = dns_policy::look_up(&resolver, "bare.test", 443, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(found.caa.found_at, None);
    assert!(found.caa.records.is_empty() && found.https.is_empty());
    assert!(!found.ech_advertised);
    // A name that does not exist at all: the same (NXDOMAIN is an empty set).
    let missing = dns_policy::look_up(&resolver, "nowhere.bare.test", 443, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(missing.caa.found_at, None);
}

#[tokio::test]
async fn a_must_staple_leaf_with_a_staple_is_fine() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        must_staple: true,
        ..LeafSpec::valid("stapled.test")
    });
    let staple = pki.ocsp_response(&leaf, false);
    let server = tokio::task::spawn_blocking(move || {
        OpensslServer::builder(&leaf)
            .www(true)
            .ocsp_staple(staple)
            .start()
            .unwrap()
    })
    .await
    .unwrap();
    let rules = [
        format!("stapled.test:443:127.0.0.1:{}", server.port()),
        format!("stapled.test:80:127.0.0.1:{}", closed_port()),
    ];
    let request = ScanRequest {
        target: Target::parse("stapled.test").unwrap(),
        sni: None,
        mode: ScanMode::Quick,
        endpoint: None,
    };
    let report = scanner(&pki, &rules).scan(&request).await.unwrap();
    assert_matches_schema(&report);
    let policy = report.policy.as_ref().unwrap();
    assert!(policy.must_staple);
    // --connect-to maps the name: its DNS is never asked.
    assert!(policy.dns.is_none());
    assert!(report.connection.as_ref().unwrap().ocsp_stapled);
    assert!(!ids(&report).contains(&"must-staple-without-staple"));
}
