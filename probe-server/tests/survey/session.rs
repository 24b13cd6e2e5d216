//! The tests that need a completed TLS 1.2 handshake, in full scans of real servers:
//! renegotiation exercised, resumption by session id and ticket, the Extended Master Secret,
//! Ticketbleed (against a relay that leaks like F5's stack, and real servers that do not).

use shared::{Grade, Report, VulnerabilityStatus as Status};
use testbed::{
    GnutlsServer, LeafKey, LeafSpec, NginxServer, OpensslServer, ProtocolVersion as TV, TestPki,
    TicketbleedServer,
};

use crate::support::{blocking, cap, full_scan, ids, vulnerability};

fn rsa_leaf(pki: &TestPki, name: &str) -> testbed::Leaf {
    pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid(name)
    })
}

async fn openssl(pki: &TestPki, name: &str, args: &[&str]) -> OpensslServer {
    let leaf = rsa_leaf(pki, name);
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    blocking(move || {
        let mut builder = OpensslServer::builder(&leaf).versions(&[TV::Tls12, TV::Tls13]);
        for arg in &args {
            builder = builder.arg(arg);
        }
        builder.start().unwrap()
    })
    .await
}

fn detail<'a>(report: &'a Report, id: &str) -> &'a str {
    &report
        .vulnerabilities
        .iter()
        .find(|v| v.id == id)
        .unwrap()
        .detail
}

fn errors(report: &Report) -> Vec<String> {
    report
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.check, e.message))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_defaults_refuse_client_renegotiation_and_resume_both_ways() {
    let pki = TestPki::new();
    let server = openssl(&pki, "session.test", &[]).await;
    let report = full_scan(&pki, "session.test", server.addr(), None).await;
    let found = ids(&report);
    assert!(
        !errors(&report)
            .iter()
            .any(|e| e.starts_with("renegotiation") || e.starts_with("tls12-resumption")),
        "{:?}",
        errors(&report)
    );
    assert_eq!(
        vulnerability(&report, "insecure-renegotiation"),
        Status::NotVulnerable
    );
    assert_eq!(
        vulnerability(&report, "client-renegotiation"),
        Status::NotVulnerable
    );
    assert!(
        detail(&report, "client-renegotiation").contains("no_renegotiation"),
        "OpenSSL 3 refuses with a warning: {}",
        detail(&report, "client-renegotiation")
    );
    assert_eq!(vulnerability(&report, "ticketbleed"), Status::NotVulnerable);
    assert!(
        detail(&report, "ticketbleed").contains("echoed that one byte"),
        "{}",
        detail(&report, "ticketbleed")
    );
    for id in [
        "client-renegotiation",
        "no-extended-master-secret",
        "no-session-resumption",
        "long-ticket-lifetime",
        "ticketbleed",
        "insecure-renegotiation",
    ] {
        assert!(!found.contains(id), "{id}: {found:?}");
    }
    assert_eq!(report.features.session_tickets, Some(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_with_client_renegotiation_and_no_tickets() {
    let pki = TestPki::new();
    let server = openssl(&pki, "reneg.test", &["-client_renegotiation", "-no_ticket"]).await;
    let report = full_scan(&pki, "reneg.test", server.addr(), None).await;
    let found = ids(&report);
    assert!(
        found.contains("client-renegotiation"),
        "{found:?} {:?}",
        errors(&report)
    );
    assert_eq!(
        vulnerability(&report, "client-renegotiation"),
        Status::Vulnerable
    );
    assert!(detail(&report, "client-renegotiation").contains("both verify_data"));
    assert_eq!(
        vulnerability(&report, "insecure-renegotiation"),
        Status::NotVulnerable,
        "the renegotiation was secure"
    );
    assert!(!found.contains("insecure-renegotiation"));
    assert_eq!(cap(&report, "client-renegotiation"), None);
    assert_eq!(vulnerability(&report, "ticketbleed"), Status::NotVulnerable);
    assert!(detail(&report, "ticketbleed").contains("no TLS 1.2 session tickets"));
    assert!(
        !found.contains("no-session-resumption"),
        "resumed by session id: {found:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_with_renegotiation_disabled() {
    let pki = TestPki::new();
    let server = openssl(
        &pki,
        "noreneg.test",
        &["-client_renegotiation", "-no_renegotiation"],
    )
    .await;
    let report = full_scan(&pki, "noreneg.test", server.addr(), None).await;
    let found = ids(&report);
    assert!(!found.contains("client-renegotiation"), "{found:?}");
    assert_eq!(
        vulnerability(&report, "client-renegotiation"),
        Status::NotVulnerable
    );
    assert_eq!(
        vulnerability(&report, "insecure-renegotiation"),
        Status::NotVulnerable
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_that_leaks_like_f5_is_ticketbleed() {
    let pki = TestPki::new();
    let upstream = openssl(&pki, "bigip.test", &[]).await;
    let relay = TicketbleedServer::start(upstream.addr()).unwrap();
    let report = full_scan(&pki, "bigip.test", relay.addr(), None).await;
    assert_eq!(
        vulnerability(&report, "ticketbleed"),
        Status::Vulnerable,
        "{}",
        detail(&report, "ticketbleed")
    );
    assert!(
        detail(&report, "ticketbleed").contains(&hex::encode(&testbed::ticketbleed::LEAKED[..8])),
        "{}",
        detail(&report, "ticketbleed")
    );
    assert_eq!(cap(&report, "ticketbleed"), Some(Grade::F));
    assert_eq!(report.grade, Grade::F);
}

#[tokio::test(flavor = "multi_thread")]
async fn gnutls_and_nginx_are_not_ticketbleed_and_nginx_tickets_live_as_long_as_sessions() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "gnutls.test");
    let gnutls = blocking(move || GnutlsServer::builder(&leaf).start().unwrap()).await;
    let report = full_scan(&pki, "gnutls.test", gnutls.addr(), None).await;
    assert_eq!(
        vulnerability(&report, "ticketbleed"),
        Status::NotVulnerable,
        "{}",
        detail(&report, "ticketbleed")
    );
    assert_eq!(
        vulnerability(&report, "insecure-renegotiation"),
        Status::NotVulnerable
    );
    assert!(
        !ids(&report).contains("no-extended-master-secret"),
        "{:?}",
        ids(&report)
    );
    assert!(
        !ids(&report).contains("no-session-resumption"),
        "{:?}",
        ids(&report)
    );
    drop(gnutls);

    let leaf = pki.leaf(&LeafSpec::valid("nginx.test"));
    let nginx = blocking(move || {
        NginxServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .server_directive("ssl_session_timeout 28h;")
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "nginx.test", nginx.addr(), None).await;
    assert_eq!(
        vulnerability(&report, "ticketbleed"),
        Status::NotVulnerable,
        "{}",
        detail(&report, "ticketbleed")
    );
    assert_eq!(
        vulnerability(&report, "client-renegotiation"),
        Status::NotVulnerable,
        "nginx refuses client-initiated renegotiation: {}",
        detail(&report, "client-renegotiation")
    );
    assert!(
        !ids(&report).contains("no-session-resumption"),
        "{:?}",
        ids(&report)
    );
    let long = report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "long-ticket-lifetime")
        .unwrap_or_else(|| panic!("{:?} {:?}", ids(&report), errors(&report)));
    assert!(long.detail.contains("100800 s"), "{}", long.detail);
}
