use std::time::Duration;

use probe_server::address_policy::AddressPolicy;
use probe_server::connect_to::ConnectTo;
use probe_server::scan::{Scanner, Timeouts};
use probe_server::server::{Application, ServeConfig};
use probe_server::trust::TrustStore;
use testbed::TestPki;

/// A running API server and a client for it.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
}

impl TestApp {
    pub(crate) async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .expect("request")
    }
}

/// How the app under test is set up.
pub(crate) struct AppSpec<'a> {
    pub(crate) pki: &'a TestPki,
    pub(crate) connect_to: Vec<String>,
    pub(crate) policy: AddressPolicy,
    pub(crate) scan_timeout: Duration,
}

impl<'a> AppSpec<'a> {
    pub(crate) fn new(pki: &'a TestPki) -> Self {
        Self {
            pki,
            connect_to: Vec::new(),
            policy: AddressPolicy::allow_all(),
            scan_timeout: Duration::from_secs(10),
        }
    }
}

/// Starts the real application on a free port.
pub(crate) async fn spawn_app(spec: AppSpec<'_>) -> TestApp {
    let mut scanner = Scanner::new(TrustStore::new(Some(spec.pki.root_pem())).unwrap());
    scanner.connect_to = spec
        .connect_to
        .iter()
        .map(|r| ConnectTo::parse(r).unwrap())
        .collect();
    scanner.policy = spec.policy;
    scanner.timeouts = Timeouts::within(spec.scan_timeout);
    let app = Application::build(ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        scanner,
    })
    .unwrap();
    let base = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: reqwest::Client::new(),
    }
}
