//! lighttpd on three more TLS stacks: mbedTLS 2.28, wolfSSL 5.5 and NSS 3.87 (issue #15).
//!
//! Each test configures the server, asks OpenSSL's own client (`openssl s_client`) what it
//! accepts — per version, the suites it picks from everything OpenSSL offers, again and again
//! without the ones already picked (so, with a server order, in that order), and the groups
//! one by one — asserts that this is what the configuration says, and then that the full
//! scan found exactly that, with no error it should not have.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use shared::{ProtocolVersion as V, Report};
use testbed::{LeafKey, LeafSpec, LighttpdServer, ProtocolVersion as TV, TestPki, TlsModule};

use crate::support::{blocking, full_scan, ids, suites, supported};

/// Every TLS 1.3 suite OpenSSL 3.0 can offer (`openssl ciphers -V` lists only the enabled
/// ones).
const TLS13_SUITES: [(&str, u16); 5] = [
    ("TLS_AES_128_GCM_SHA256", 0x1301),
    ("TLS_AES_256_GCM_SHA384", 0x1302),
    ("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
    ("TLS_AES_128_CCM_SHA256", 0x1304),
    ("TLS_AES_128_CCM_8_SHA256", 0x1305),
];

/// The groups OpenSSL 3.0 can offer, by its name and IANA's.
const OPENSSL_GROUPS: [(&str, &str); 10] = [
    ("X25519", "x25519"),
    ("X448", "x448"),
    ("P-256", "secp256r1"),
    ("P-384", "secp384r1"),
    ("P-521", "secp521r1"),
    ("ffdhe2048", "ffdhe2048"),
    ("ffdhe3072", "ffdhe3072"),
    ("ffdhe4096", "ffdhe4096"),
    ("ffdhe6144", "ffdhe6144"),
    ("ffdhe8192", "ffdhe8192"),
];

/// `openssl s_client -connect ADDR ARGS…` (stdin closed, bounded by `timeout`): the name of
/// the suite it negotiated, if any.
fn s_client_suite(addr: SocketAddr, args: &[&str]) -> Option<String> {
    let out = Command::new("timeout")
        .args(["10", "openssl", "s_client", "-connect", &addr.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    let text = String::from_utf8_lossy(&out.stdout);
    // "New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256", "New, SSLv3, Cipher is
    // AES256-SHA" (the suite's own version, whatever was negotiated), and on failure
    // "New, (NONE), Cipher is (NONE)".
    let suite = text
        .lines()
        .find_map(|l| l.strip_prefix("New, "))
        .and_then(|l| l.split_once("Cipher is "))
        .map(|(_, name)| name.trim().to_owned())
        .filter(|name| name != "(NONE)");
    if suite.is_none() && std::env::var_os("STACKS_DEBUG").is_some() {
        eprintln!(
            "s_client {args:?}: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    suite
}

/// OpenSSL's suite names and their code points (`openssl ciphers -V`).
fn openssl_suite_ids() -> BTreeMap<String, u16> {
    let out = Command::new("openssl")
        .args(["ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"])
        .output()
        .expect("run openssl ciphers");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            // "          0xC0,0x2F - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH ..."
            let mut words = line.split_whitespace();
            let code = words.next()?;
            let name = words.nth(1)?;
            let (hi, lo) = code.split_once(',')?;
            let byte = |h: &str| u8::from_str_radix(h.trim_start_matches("0x"), 16).ok();
            Some((name.to_owned(), u16::from_be_bytes([byte(hi)?, byte(lo)?])))
        })
        .collect()
}

/// What OpenSSL's client finds the server accepts.
#[derive(Debug, Default)]
struct ClientView {
    /// Per version, the suites in the order the server picked them.
    suites: BTreeMap<V, Vec<u16>>,
    /// The TLS 1.3 groups (IANA names) a handshake offering only that group completes with.
    tls13_groups: BTreeSet<&'static str>,
    /// The same for TLS 1.2 ECDHE.
    tls12_curves: BTreeSet<&'static str>,
}

impl ClientView {
    fn versions(&self) -> Vec<V> {
        self.suites
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(v, _)| *v)
            .collect()
    }
}

/// Asks `openssl s_client` (bounded: at most 40 handshakes per version plus one per group).
fn client_view(addr: SocketAddr) -> ClientView {
    let ids = openssl_suite_ids();
    let mut view = ClientView::default();
    for (version, flag) in [
        (V::Tls10, "-tls1"),
        (V::Tls11, "-tls1_1"),
        (V::Tls12, "-tls1_2"),
    ] {
        let mut picked: Vec<String> = Vec::new();
        for _ in 0..40 {
            let exclude: String = picked.iter().map(|n| format!(":!{n}")).collect();
            let list = format!("ALL:COMPLEMENTOFALL{exclude}:@SECLEVEL=0");
            match s_client_suite(addr, &[flag, "-cipher", &list]) {
                Some(name) if !picked.contains(&name) => picked.push(name),
                _ => break,
            }
        }
        let codes = picked.iter().map(|n| ids[n.as_str()]).collect();
        view.suites.insert(version, codes);
    }
    let mut remaining = TLS13_SUITES.to_vec();
    let mut picked = Vec::new();
    while !remaining.is_empty() {
        let names: Vec<&str> = remaining.iter().map(|(n, _)| *n).collect();
        let Some(name) = s_client_suite(addr, &["-tls1_3", "-ciphersuites", &names.join(":")])
        else {
            break;
        };
        let Some(at) = remaining.iter().position(|(n, _)| *n == name) else {
            break;
        };
        picked.push(remaining.remove(at).1);
    }
    view.suites.insert(V::Tls13, picked);
    for (openssl, iana) in OPENSSL_GROUPS {
        if s_client_suite(addr, &["-tls1_3", "-groups", openssl]).is_some() {
            view.tls13_groups.insert(iana);
        }
        let ecdhe_only = [
            "-tls1_2",
            "-groups",
            openssl,
            "-cipher",
            "ECDHE:@SECLEVEL=0",
        ];
        if !openssl.starts_with("ffdhe") && s_client_suite(addr, &ecdhe_only).is_some() {
            view.tls12_curves.insert(iana);
        }
    }
    view
}

fn group_names(report: &Report) -> BTreeSet<String> {
    report
        .key_exchange
        .groups
        .iter()
        .flatten()
        .map(|g| g.name.clone())
        .collect()
}

fn error_steps(report: &Report) -> Vec<String> {
    report.errors.iter().map(|e| e.check.clone()).collect()
}

/// The scan's suites for every version the client saw, exactly, and in the server's order
/// when the scan says it has one.
fn assert_suites_match(report: &Report, view: &ClientView) {
    assert_eq!(supported(report), view.versions(), "{:?}", report.errors);
    for version in view.versions() {
        let expected = &view.suites[&version];
        let found = suites(report, version);
        let server_order = report.protocol(version).unwrap().server_preference == Some(true);
        if server_order {
            assert_eq!(&found, expected, "{version:?}: the server's order");
        } else {
            let sorted = |l: &[u16]| l.iter().copied().collect::<BTreeSet<u16>>();
            assert_eq!(sorted(&found), sorted(expected), "{version:?}");
        }
    }
}

async fn start(builder: testbed::LighttpdServerBuilder) -> LighttpdServer {
    blocking(move || builder.start().unwrap()).await
}

async fn view_of(server: &LighttpdServer) -> ClientView {
    let addr = server.addr();
    blocking(move || client_view(addr)).await
}

fn rsa_leaf(pki: &TestPki, name: &str) -> testbed::Leaf {
    pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid(name)
    })
}

/// mbedTLS: TLS 1.0 to 1.2 (no TLS 1.3 in 2.28), five suites of which two reach TLS 1.0/1.1,
/// two curves.
#[tokio::test(flavor = "multi_thread")]
async fn mbedtls_versions_suites_and_curves_are_exact() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "mbedtls.test");
    let server = start(
        LighttpdServer::builder(&leaf, TlsModule::Mbedtls)
            .protocols(TV::Tls10, TV::Tls12)
            .cipher_string(
                "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256:TLS-ECDHE-RSA-WITH-CHACHA20-POLY1305-SHA256:\
                 TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA:TLS-DHE-RSA-WITH-AES-128-CBC-SHA:\
                 TLS-RSA-WITH-AES-128-CBC-SHA256",
            )
            .groups("x25519:secp384r1"),
    )
    .await;
    let view = view_of(&server).await;
    // What the configuration says, as OpenSSL's client found it: the CBC suites of TLS 1.0
    // reach 1.0 and 1.1, the rest needs 1.2; in the configured order.
    assert_eq!(view.suites[&V::Tls10], [0xc014, 0x0033]);
    assert_eq!(view.suites[&V::Tls11], [0xc014, 0x0033]);
    assert_eq!(
        view.suites[&V::Tls12],
        [0xc02f, 0xcca8, 0xc014, 0x0033, 0x003c]
    );
    assert!(view.suites[&V::Tls13].is_empty());
    assert_eq!(view.tls12_curves, ["x25519", "secp384r1"].into());

    let report = full_scan(&pki, "mbedtls.test", server.addr(), None).await;
    assert_suites_match(&report, &view);
    assert_eq!(
        report.protocol(V::Tls12).unwrap().server_preference,
        Some(true)
    );
    let curves: BTreeSet<String> = group_names(&report);
    assert_eq!(
        curves,
        view.tls12_curves.iter().map(|c| c.to_string()).collect()
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.connection.is_some(), "the verified handshake");
    assert!(ids(&report).contains("no-tls13"));
    assert!(ids(&report).contains("protocol-tls10"));
    assert!(report.protocol(V::Tls12).unwrap().intolerance.is_none());
}

/// wolfSSL, tolerant (its CA file lets it answer status_request): TLS 1.2 with two suites of
/// the three configured (Debian's wolfSSL has no static RSA), every TLS 1.3 suite, and a
/// suite-count limit the enumeration and the attack tests work around.
#[tokio::test(flavor = "multi_thread")]
async fn wolfssl_versions_suites_and_groups_are_exact() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "wolfssl.test");
    // wolfSSL checks the leaf against its own store, not the served chain: the
    // intermediate has to be there too.
    let cas = pki.dir().join("wolfssl-cas.pem");
    let mut pem = std::fs::read(pki.root_pem()).unwrap();
    pem.extend(std::fs::read(pki.intermediate_pem()).unwrap());
    std::fs::write(&cas, pem).unwrap();
    let server = start(
        LighttpdServer::builder(&leaf, TlsModule::Wolfssl)
            .protocols(TV::Tls12, TV::Tls13)
            .cipher_string(
                "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256",
            )
            .groups("secp384r1")
            .ca_file(&cas),
    )
    .await;
    let view = view_of(&server).await;
    assert_eq!(view.versions(), [V::Tls12, V::Tls13]);
    assert_eq!(view.suites[&V::Tls12], [0xc030, 0xcca8]);
    assert_eq!(view.suites[&V::Tls13], [0x1302, 0x1303, 0x1301, 0x1304]);
    assert_eq!(
        view.tls13_groups,
        [
            "x25519",
            "x448",
            "secp256r1",
            "secp384r1",
            "secp521r1",
            "ffdhe2048",
            "ffdhe3072"
        ]
        .into()
    );
    assert_eq!(view.tls12_curves, ["secp384r1"].into());

    let report = full_scan(&pki, "wolfssl.test", server.addr(), None).await;
    assert_suites_match(&report, &view);
    assert_eq!(
        group_names(&report),
        view.tls13_groups.iter().map(|g| g.to_string()).collect(),
        "{:?} {:?}\n{}",
        report.key_exchange,
        report.errors,
        server.error_log()
    );
    assert!(
        report.errors.is_empty(),
        "errors: {:?}\n{}",
        report.errors,
        server.error_log()
    );
    assert!(report.connection.is_some(), "the verified handshake");
    let how = report.protocol(V::Tls12).unwrap().intolerance.clone();
    assert!(
        how.as_deref().is_some_and(|h| h.contains("decode_error")),
        "wolfSSL refuses more than 150 suites: {how:?}"
    );
    for attack in ["heartbleed", "ccs-injection"] {
        let status = report
            .vulnerabilities
            .iter()
            .find(|v| v.id == attack)
            .unwrap()
            .status;
        assert_eq!(
            status,
            shared::VulnerabilityStatus::NotVulnerable,
            "{attack}"
        );
    }
    assert_eq!(report.features.compression, Some(false));
    assert_eq!(report.features.secure_renegotiation, Some(true));
}

/// wolfSSL without a CA for its own chain closes every hello that asks for OCSP status, as
/// every browser's does: the scan still lists its versions and suites exactly, and says that
/// a modern client cannot connect (true: `openssl s_client -status` cannot either).
#[tokio::test(flavor = "multi_thread")]
async fn wolfssl_closing_on_status_request_is_reported_not_misread() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "wolfssl-ocsp.test");
    let server = start(
        LighttpdServer::builder(&leaf, TlsModule::Wolfssl)
            .protocols(TV::Tls12, TV::Tls13)
            .cipher_string("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305"),
    )
    .await;
    let addr = server.addr();
    let status = blocking(move || s_client_suite(addr, &["-status"])).await;
    assert_eq!(status, None, "s_client -status is refused too");
    let view = view_of(&server).await;
    assert_eq!(view.suites[&V::Tls12], [0xc02f, 0xcca8]);

    let report = full_scan(&pki, "wolfssl-ocsp.test", server.addr(), None).await;
    assert_suites_match(&report, &view);
    let schemes = report.key_exchange.signature_algorithms.clone();
    assert!(
        schemes
            .as_ref()
            .is_some_and(|s| s.contains(&"rsa_pss_rsae_sha256".to_string())),
        "{schemes:?}"
    );
    // s_client sends no status_request: its groups are the server's.
    assert_eq!(
        group_names(&report),
        view.tls13_groups.iter().map(|g| g.to_string()).collect(),
        "{:?}",
        report.errors
    );
    assert!(report.connection.is_none());
    let steps = error_steps(&report);
    assert!(steps.iter().any(|s| s == "verified-handshake"), "{steps:?}");
    for step in ["compression", "heartbleed", "ccs-injection"] {
        assert!(
            !steps.iter().any(|s| s == step),
            "{step}: {:?}",
            report.errors
        );
    }
    assert!(ids(&report).contains("hello-intolerance"));
}

/// NSS with lighttpd's default list: TLS 1.2 with four AEAD suites, TLS 1.3 with ChaCha20
/// only.
#[tokio::test(flavor = "multi_thread")]
async fn nss_default_suites_are_exact() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "nss.test");
    let server = start(LighttpdServer::builder(&leaf, TlsModule::Nss)).await;
    let view = view_of(&server).await;
    assert_eq!(view.versions(), [V::Tls12, V::Tls13]);
    // "EECDH+AESGCM:AES256+EECDH:CHACHA20:!SHA1:!SHA256:!SHA384".
    let tls12: BTreeSet<u16> = view.suites[&V::Tls12].iter().copied().collect();
    assert_eq!(tls12, [0xc02f, 0xc030, 0xcca8, 0xccaa].into());
    assert_eq!(view.suites[&V::Tls13], [0x1303]);

    let report = full_scan(&pki, "nss.test", server.addr(), None).await;
    assert_suites_match(&report, &view);
    assert_eq!(
        group_names(&report),
        view.tls13_groups.iter().map(|g| g.to_string()).collect()
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.connection.is_some(), "the verified handshake");
}

/// NSS with an explicit cipher list: lighttpd's mod_nss cannot name TLS 1.3 suites, so TLS
/// 1.3 stays enabled with none, and every hello offering it is refused — browsers' too.
#[tokio::test(flavor = "multi_thread")]
async fn nss_with_a_cipher_list_has_no_tls13_and_browsers_fail() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki, "nss-list.test");
    let server = start(
        LighttpdServer::builder(&leaf, TlsModule::Nss)
            .protocols(TV::Tls12, TV::Tls13)
            .cipher_string("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA"),
    )
    .await;
    let view = view_of(&server).await;
    assert_eq!(view.versions(), [V::Tls12]);
    assert_eq!(view.suites[&V::Tls12], [0xc02f, 0xc030, 0x0035]);
    let addr = server.addr();
    let default_client = blocking(move || s_client_suite(addr, &[])).await;
    assert_eq!(default_client, None, "TLS 1.2 + 1.3 clients are refused");

    let report = full_scan(&pki, "nss-list.test", server.addr(), None).await;
    assert_suites_match(&report, &view);
    assert_eq!(error_steps(&report), ["verified-handshake"]);
    assert!(ids(&report).contains("simulation-browser-fails"));
}
