use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use probe_server::pki::trust::TrustStore;
use probe_server::scan::{ScanRequest, Scanner, Timeouts};
use probe_server::target::Target;
use probe_server::target::connect_to::ConnectTo;
use shared::{ProtocolVersion, Report, ScanMode};
use testbed::TestPki;

/// A quick scan of `name`, routed to `address`.
pub(crate) async fn quick_scan(pki: &TestPki, name: &str, address: SocketAddr) -> Report {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let rules = [
        format!("{name}:443:{}", bracket(address)),
        format!("{name}:80:{}", bracket(closed)),
    ];
    let mut scanner = Scanner::new(TrustStore::new(Some(pki.root_pem())).unwrap());
    scanner.egress.connect_to = rules.iter().map(|r| ConnectTo::parse(r).unwrap()).collect();
    let request = ScanRequest {
        target: Target::parse(name).unwrap(),
        sni: None,
        mode: ScanMode::Quick,
        endpoint: None,
    };
    scanner.scan(&request).await.unwrap()
}

/// A full scan of `name`, routed to `address` (and its port 80 to `http`, or nowhere).
pub(crate) async fn full_scan(
    pki: &TestPki,
    name: &str,
    address: SocketAddr,
    http: Option<SocketAddr>,
) -> Report {
    full_scan_with(pki, name, address, http, &[]).await
}

/// [`full_scan`] with more `--connect-to` rules (for hosts a certificate names).
pub(crate) async fn full_scan_with(
    pki: &TestPki,
    name: &str,
    address: SocketAddr,
    http: Option<SocketAddr>,
    extra_rules: &[String],
) -> Report {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut rules = vec![
        format!("{name}:443:{}", bracket(address)),
        format!("{name}:80:{}", bracket(http.unwrap_or(closed))),
    ];
    rules.extend_from_slice(extra_rules);
    let mut scanner = Scanner::new(TrustStore::new(Some(pki.root_pem())).unwrap());
    scanner.egress.connect_to = rules.iter().map(|r| ConnectTo::parse(r).unwrap()).collect();
    scanner.timeouts = Timeouts::within(Duration::from_secs(30));
    let request = ScanRequest {
        target: Target::parse(name).unwrap(),
        sni: None,
        mode: ScanMode::Full,
        endpoint: None,
    };
    let report = scanner.scan(&request).await.unwrap();
    assert_eq!(report.scan_mode, ScanMode::Full);
    assert_matches_schema(&report);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let stem = name.trim_end_matches(".test");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../shared/fixtures/full-{stem}.json"));
        std::fs::write(path, serde_json::to_string_pretty(&report).unwrap() + "\n").unwrap();
    }
    report
}

/// Every report must match the committed JSON Schema.
pub(crate) fn assert_matches_schema(report: &Report) {
    let validator = jsonschema::validator_for(&shared::report_schema()).unwrap();
    let json = serde_json::to_value(report).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not match the schema: {errors:#?}"
    );
}

fn bracket(address: SocketAddr) -> String {
    match address {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// The versions the report says are supported.
pub(crate) fn supported(report: &Report) -> Vec<ProtocolVersion> {
    report
        .protocols
        .iter()
        .filter(|p| p.supported == Some(true))
        .map(|p| p.version)
        .collect()
}

/// The suite ids accepted with `version`, in the report's order.
pub(crate) fn suites(report: &Report, version: ProtocolVersion) -> Vec<u16> {
    report
        .protocol(version)
        .map(|p| p.cipher_suites.iter().map(|s| s.id).collect())
        .unwrap_or_default()
}

/// The same, as a set.
pub(crate) fn suite_set(report: &Report, version: ProtocolVersion) -> BTreeSet<u16> {
    suites(report, version).into_iter().collect()
}

pub(crate) fn ids(report: &Report) -> BTreeSet<&str> {
    report.findings.iter().map(|f| f.id.as_str()).collect()
}

pub(crate) fn cap(report: &Report, id: &str) -> Option<shared::Grade> {
    report
        .findings
        .iter()
        .find(|f| f.id.as_str() == id)
        .and_then(|f| f.grade_cap)
}

pub(crate) fn vulnerability(report: &Report, id: &str) -> shared::VulnerabilityStatus {
    report
        .vulnerabilities
        .iter()
        .find(|v| v.id == id)
        .unwrap()
        .status
}

/// Runs a blocking testbed start off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}
