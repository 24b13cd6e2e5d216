use std::time::Duration;

use probe_server::pki::trust::TrustStore;
use probe_server::scan::{ScanRequest, Scanner, Timeouts};
use probe_server::target::Target;
use probe_server::target::connect_to::ConnectTo;
use shared::{Report, ScanMode};
use testbed::{HttpAnswer, HttpServer, Leaf, TestPki, TlsServer, TlsServerSpec};

/// A site: a TLS server for `name` plus its port-80 side.
pub(crate) struct Site {
    pub(crate) name: String,
    pub(crate) tls: TlsServer,
    pub(crate) plain: Option<HttpServer>,
    /// A port nothing listens on, for sites without port 80.
    closed_port: u16,
}

impl Site {
    pub(crate) async fn start(name: &str, spec: TlsServerSpec, plain: Option<HttpAnswer>) -> Self {
        let tls = TlsServer::start(spec).await;
        let plain = match plain {
            Some(answer) => Some(HttpServer::start(answer).await),
            None => None,
        };
        Self {
            name: name.to_owned(),
            tls,
            plain,
            closed_port: closed_port(),
        }
    }

    /// The --connect-to rules that route `name` to this site.
    pub(crate) fn rules(&self) -> Vec<String> {
        let plain_port = self
            .plain
            .as_ref()
            .map_or(self.closed_port, HttpServer::port);
        vec![
            format!("{}:443:127.0.0.1:{}", self.name, self.tls.port()),
            format!("{}:80:127.0.0.1:{plain_port}", self.name),
        ]
    }
}

/// A port that was free a moment ago (bound, then released).
pub(crate) fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A healthy site: full chain, HSTS for a year, port 80 redirecting.
pub(crate) fn good_spec(pki: &TestPki, leaf: &Leaf) -> TlsServerSpec {
    let mut spec = TlsServerSpec::new(leaf, &[pki.intermediate_der()]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000; includeSubDomains");
    spec
}

pub(crate) fn scanner(pki: &TestPki, rules: &[String]) -> Scanner {
    let mut scanner = Scanner::new(TrustStore::new(Some(pki.root_pem())).unwrap());
    scanner.egress.connect_to = rules.iter().map(|r| ConnectTo::parse(r).unwrap()).collect();
    scanner.timeouts = Timeouts::within(Duration::from_secs(10));
    scanner
}

pub(crate) async fn scan_site(pki: &TestPki, site: &Site) -> Report {
    scan_site_with(pki, site, &[]).await
}

/// [`scan_site`] with more `--connect-to` rules (for the hosts a certificate names).
pub(crate) async fn scan_site_with(pki: &TestPki, site: &Site, extra_rules: &[String]) -> Report {
    let mut rules = site.rules();
    rules.extend_from_slice(extra_rules);
    let scanner = scanner(pki, &rules);
    let request = ScanRequest {
        target: Target::parse(&site.name).unwrap(),
        sni: None,
        mode: ScanMode::Quick,
        endpoint: None,
    };
    let report = scanner.scan(&request).await.unwrap();
    assert_matches_schema(&report);
    capture_fixture(&site.name, &report);
    report
}

/// Every report the tests produce must match the committed JSON Schema.
pub(crate) fn assert_matches_schema(report: &Report) {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator =
        VALIDATOR.get_or_init(|| jsonschema::validator_for(&shared::report_schema()).unwrap());
    let json = serde_json::to_value(report).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not match the schema: {errors:#?}"
    );
}

/// With `UPDATE_FIXTURES=1`, saves the report as a golden fixture in `shared/fixtures/`
/// (the extension's view tests read them).
fn capture_fixture(name: &str, report: &Report) {
    if std::env::var_os("UPDATE_FIXTURES").is_none() {
        return;
    }
    let stem = name.trim_end_matches(".test");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../shared/fixtures/scan-{stem}.json"));
    std::fs::write(path, serde_json::to_string_pretty(report).unwrap() + "\n").unwrap();
}

pub(crate) fn ids(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.id.as_str()).collect()
}

pub(crate) fn cap_of<'r>(report: &'r Report, id: &str) -> Option<&'r shared::GradeCap> {
    report
        .rating
        .caps
        .iter()
        .find(|c| c.finding_id.as_str() == id)
}
