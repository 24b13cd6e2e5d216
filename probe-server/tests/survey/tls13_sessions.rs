//! TLS 1.3 sessions as a browser-like client sees them: the first connection's tickets,
//! whether the next connection resumes with one, and whether 0-RTT early data is accepted
//! (offered, never sent). Against OpenSSL's s_server with and without `-early_data`,
//! tickets and `-no_ticket` (stateful TLS 1.3 tickets), no tickets at all, and nginx with
//! and without `ssl_early_data on`.

use shared::Report;
use testbed::{LeafSpec, NginxServer, OpensslServer, ProtocolVersion as TV, TestPki};

use crate::support::{blocking, ids, quick_scan};

/// A quick scan of s_server with `args`. `-early_data` (which makes s_server read early
/// data) refuses `-www`: s_server then echoes instead, and the scan's HTTP request goes
/// unanswered (an error in the report, not what these tests look at).
async fn openssl_scan(name: &str, args: &[&str]) -> Report {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid(name));
    let www = !args.contains(&"-early_data");
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let server = blocking(move || {
        let mut builder = OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .www(www);
        for arg in &args {
            builder = builder.arg(arg);
        }
        builder.start().unwrap()
    })
    .await;
    quick_scan(&pki, name, server.addr()).await
}

async fn nginx_scan(name: &str, directives: &[&str]) -> Report {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid(name));
    let directives: Vec<String> = directives.iter().map(|d| (*d).to_owned()).collect();
    let server = blocking(move || {
        let mut builder = NginxServer::builder(&leaf).http_redirect(false);
        for directive in &directives {
            builder = builder.server_directive(directive);
        }
        builder.start().unwrap()
    })
    .await;
    quick_scan(&pki, name, server.addr()).await
}

fn early_data_finding(report: &Report) -> bool {
    ids(report).contains("early-data-accepted")
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_with_early_data_accepts_0rtt_and_it_is_a_finding() {
    let report = openssl_scan("zero-rtt.test", &["-early_data"]).await;
    let f = &report.features;
    assert_eq!(f.tls13_resumption, Some(true), "{f:?}");
    assert!(f.tls13_tickets.unwrap() >= 1, "{f:?}");
    assert!(f.max_early_data_size.unwrap() > 0, "{f:?}");
    assert_eq!(f.early_data, Some(true), "{f:?}");
    assert!(early_data_finding(&report), "{:?}", ids(&report));
    let finding = report
        .findings
        .iter()
        .find(|x| x.id.as_str() == "early-data-accepted")
        .unwrap();
    assert_eq!(finding.grade_cap, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_without_early_data_resumes_and_offers_no_0rtt() {
    let report = openssl_scan("tickets.test", &[]).await;
    let f = &report.features;
    assert_eq!(f.tls13_resumption, Some(true), "{f:?}");
    assert_eq!(f.max_early_data_size, Some(0), "{f:?}");
    assert_eq!(f.early_data, Some(false), "{f:?}");
    assert!(!early_data_finding(&report), "{:?}", ids(&report));
    assert!(!ids(&report).contains("no-session-resumption"));
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_tickets_that_allow_early_data_it_does_not_read_refuse_0rtt() {
    // `-max_early_data` alone: the tickets announce 0-RTT, but a server that does not read
    // early data rejects it at the handshake.
    let report = openssl_scan("refuses.test", &["-max_early_data", "16384"]).await;
    let f = &report.features;
    assert_eq!(f.tls13_resumption, Some(true), "{f:?}");
    assert_eq!(f.max_early_data_size, Some(16_384), "{f:?}");
    assert_eq!(f.early_data, Some(false), "{f:?}");
    assert!(!early_data_finding(&report), "{:?}", ids(&report));
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_no_ticket_still_resumes_tls13_with_stateful_tickets_and_takes_0rtt() {
    // `-no_ticket` makes OpenSSL's TLS 1.3 tickets stateful (a session cache lookup), not
    // absent: the client still gets and offers one, and anti-replay is exact.
    let report = openssl_scan("stateful.test", &["-no_ticket", "-early_data"]).await;
    let f = &report.features;
    assert_eq!(f.tls13_resumption, Some(true), "{f:?}");
    assert_eq!(f.early_data, Some(true), "{f:?}");
    assert!(early_data_finding(&report), "{:?}", ids(&report));
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_with_no_tickets_at_all_does_not_resume_tls13() {
    let report = openssl_scan("no-tickets.test", &["-num_tickets", "0"]).await;
    let f = &report.features;
    assert_eq!(f.tls13_tickets, Some(0), "{f:?}");
    assert_eq!(f.tls13_resumption, Some(false), "{f:?}");
    assert_eq!(f.early_data, None, "untestable without a ticket: {f:?}");
    let finding = report
        .findings
        .iter()
        .find(|x| x.id.as_str() == "no-session-resumption")
        .unwrap_or_else(|| panic!("{:?}", ids(&report)));
    assert_eq!(finding.title, "No TLS 1.3 session resumption");
    assert_eq!(
        report.connection.as_ref().unwrap().session_resumed,
        Some(false)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nginx_ssl_early_data_on_accepts_0rtt_and_off_does_not() {
    let on = nginx_scan("early-nginx.test", &["ssl_early_data on;"]).await;
    assert_eq!(
        on.features.tls13_resumption,
        Some(true),
        "{:?}",
        on.features
    );
    assert_eq!(on.features.early_data, Some(true), "{:?}", on.features);
    assert!(early_data_finding(&on), "{:?}", ids(&on));

    let off = nginx_scan("plain-nginx.test", &[]).await;
    assert_eq!(
        off.features.tls13_resumption,
        Some(true),
        "{:?}",
        off.features
    );
    assert_eq!(off.features.early_data, Some(false), "{:?}", off.features);
    assert!(!early_data_finding(&off), "{:?}", ids(&off));
}
