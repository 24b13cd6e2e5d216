//! The probe must not become a way into its host's network: every address form the issue
//! lists is refused through the API, names are resolved once and the scan connects only to
//! the address that was checked, and only allowed ports are scanned.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use probe_server::target::address_policy::AddressPolicy;
use probe_server::target::resolve::{RebindingResolver, StaticResolver};
use shared::{ErrorCode, Report};
use testbed::TestPki;
use tokio::net::TcpListener;

use crate::helpers::{AppSpec, error_of, good_server, spawn_app};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_non_public_address_is_refused_before_any_connection() {
    let pki = TestPki::new();
    let resolver = StaticResolver::new();
    let mut spec = AppSpec::new(&pki).public_only();
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    let addresses = [
        // IPv4: loopback, RFC 1918, CGNAT, link-local (cloud metadata), "this network",
        // multicast, reserved, broadcast, documentation, benchmarking, IETF assignments.
        "127.0.0.1",
        "127.53.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.1",
        "198.18.0.1",
        "192.0.0.170",
        // IPv6: loopback, unspecified, unique local, link-local, site-local, multicast,
        // documentation, discard, Teredo.
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "100::1",
        "2001::1",
        // IPv6 forms that carry a non-public IPv4 address: mapped, compatible, NAT64, 6to4.
        "::ffff:127.0.0.1",
        "::ffff:7f00:1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "::a00:1",
        "64:ff9b::10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::",
        "[::ffff:192.168.1.1]",
        "https://[::1]:443/",
    ];
    for address in addresses {
        let (status, error) = error_of(
            app.get(&format!("/api/v1/probe?host={}", encode(address)))
                .await,
        )
        .await;
        assert_eq!(
            (status, error.error),
            (403, ErrorCode::TargetForbidden),
            "{address}: {}",
            error.message
        );
        assert!(
            error.message.contains("--allow-private"),
            "{address}: {}",
            error.message
        );
    }
    assert_eq!(resolver.lookups(), 0, "IP literals are never looked up");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!(
            "probe_refusals_total{{reason=\"target_forbidden\"}} {}",
            addresses.len()
        )),
        "{metrics}"
    );
    assert!(metrics.contains("probe_cache_misses_total 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unusual_spellings_of_addresses_are_refused() {
    let pki = TestPki::new();
    let resolver = StaticResolver::new();
    let mut spec = AppSpec::new(&pki).public_only();
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    for spelling in [
        "2130706433",      // decimal
        "017700000001",    // octal
        "0x7f000001",      // hex
        "0x7f.0.0.1",      // hex part
        "0177.0.0.1",      // octal part
        "0177.0.0.01",     // octal parts
        "127.1",           // short form
        "127.0.1",         // short form
        "10.1",            // short form
        "169.254.43518",   // short form of 169.254.169.254
        "0xA9FEA9FE",      // hex metadata address
        "127.0.0.1.",      // trailing dot
        "0",               // 0.0.0.0
        "１２７.０.０.１", // full-width digits (IDNA maps them to ASCII)
        "127。0。0。1",    // ideographic full stops
        "０ｘ７ｆ.０ｘ１", // full-width hex: 0x7f.0x1 once mapped
        "0x7f.1",
        "127.000.000.001",
    ] {
        let (status, error) = error_of(
            app.get(&format!("/api/v1/probe?host={}", encode(spelling)))
                .await,
        )
        .await;
        assert!(
            matches!(
                (status, error.error),
                (400, ErrorCode::BadTarget) | (403, ErrorCode::TargetForbidden)
            ),
            "{spelling}: {status} {error:?}"
        );
    }
    assert_eq!(
        resolver.lookups(),
        0,
        "no odd spelling reaches the resolver (getaddrinfo would read it as an address)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_that_resolve_inside_are_refused() {
    let pki = TestPki::new();
    let resolver = StaticResolver::new()
        .with("internal.test", &[ip("10.0.0.1")])
        .with("metadata.test", &[ip("169.254.169.254")])
        .with("loop.test", &[ip("127.0.0.1")])
        .with("localhost", &[ip("127.0.0.1"), ip("::1")])
        .with("cgnat.test", &[ip("100.100.1.1")])
        .with("v6.test", &[ip("::1")])
        .with("ula.test", &[ip("fd12::1")])
        .with("mapped.test", &[ip("::ffff:10.1.2.3")])
        .with("nat64.test", &[ip("64:ff9b::7f00:1")])
        .with("sixtofour.test", &[ip("2002:c0a8:101::1")])
        // One public and one private address: refused outright, not "try the public one".
        .with("mixed.test", &[ip("93.184.216.34"), ip("10.0.0.1")])
        .with("mixed6.test", &[ip("2606:4700::1111"), ip("fe80::1")]);
    let names = [
        "internal.test",
        "metadata.test",
        "loop.test",
        "localhost",
        "cgnat.test",
        "v6.test",
        "ula.test",
        "mapped.test",
        "nat64.test",
        "sixtofour.test",
        "mixed.test",
        "mixed6.test",
    ];
    let mut spec = AppSpec::new(&pki).public_only();
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    for name in names {
        let (status, error) = error_of(app.get(&format!("/api/v1/probe?host={name}")).await).await;
        assert_eq!(
            (status, error.error),
            (403, ErrorCode::TargetForbidden),
            "{name}: {}",
            error.message
        );
    }
    assert_eq!(resolver.lookups(), names.len(), "each name resolved once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_does_not_tell_where_a_split_horizon_name_points() {
    let pki = TestPki::new();
    // What an internal resolver answers for an internal name, and a stranger asks for it.
    let resolver = StaticResolver::new().with("vault.corp.test", &[ip("10.3.4.5")]);
    let mut spec = AppSpec::new(&pki).public_only();
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    for path in [
        "/api/v1/probe?host=vault.corp.test",
        "/api/v1/probe?host=vault.corp.test&quick=1",
        "/api/v1/probe/stream?host=vault.corp.test",
    ] {
        let response = app.get(path).await;
        let body = response.text().await.unwrap();
        assert!(!body.contains("10.3.4.5"), "{path}: {body}");
        assert!(!body.contains("RFC 1918"), "{path}: {body}");
        let error: shared::ApiError = serde_json::from_str(&body)
            .or_else(|_| {
                // A stream ends with an error event: its data line.
                let data = body
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap_or_default();
                serde_json::from_str::<serde_json::Value>(data).map(|v| shared::ApiError {
                    error: serde_json::from_value(v["error"].clone()).unwrap(),
                    message: v["message"].as_str().unwrap_or_default().to_owned(),
                })
            })
            .unwrap();
        assert_eq!(error.error, ErrorCode::TargetForbidden, "{path}");
        assert!(
            error.message.contains("resolves to a non-public address"),
            "{path}: {}",
            error.message
        );
    }
}

/// Listens on 127.0.0.2:`port` and counts connections: where a rebound name would lead.
async fn trap(port: u16) -> (Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.2", port)).await.unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (count, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_rebinding_cannot_move_the_scan() {
    let pki = TestPki::new();
    let server = good_server(&pki, "rebind.test").await;
    let port = server.port();
    let (trapped, trap_task) = trap(port).await;
    // The name answers the allowed address first, then one that is not allowed (127.0.0.2,
    // outside the admitted 127.0.0.1/32), as an attacker's name server would. A second
    // lookup anywhere in the scan would either be refused or land in the trap.
    let resolver = RebindingResolver::new(
        "rebind.test",
        vec![vec![ip("127.0.0.1")], vec![ip("127.0.0.2")]],
    );
    let mut spec = AppSpec::new(&pki);
    spec.policy = AddressPolicy::public_only(vec!["127.0.0.1/32".parse().unwrap()])
        .with_ports(&[port.to_string().parse().unwrap()]);
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;

    let response = app
        .get(&format!("/api/v1/probe?host=rebind.test&port={port}"))
        .await;
    assert_eq!(response.status(), 200);
    let report: Report = response.json().await.unwrap();
    assert_eq!(report.target.ip, ip("127.0.0.1"));
    assert!(report.trust.trusted);
    assert_eq!(resolver.lookups(), 1, "one lookup per scan");
    assert_eq!(trapped.load(Ordering::SeqCst), 0);
    assert!(
        server.connections() >= 2,
        "every connection went to the checked address"
    );
    trap_task.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_answers_inside_first_stays_refused() {
    let pki = TestPki::new();
    let server = good_server(&pki, "rebind.test").await;
    let port = server.port();
    let resolver = RebindingResolver::new(
        "rebind.test",
        vec![vec![ip("169.254.169.254")], vec![ip("127.0.0.1")]],
    );
    let mut spec = AppSpec::new(&pki).unlimited();
    spec.policy = AddressPolicy::public_only(vec!["127.0.0.1/32".parse().unwrap()])
        .with_ports(&[port.to_string().parse().unwrap()]);
    spec.resolver = Some(Arc::new(resolver.clone()));
    spec.cache.failure_ttl = std::time::Duration::ZERO;
    let app = spawn_app(spec).await;
    let (status, error) = error_of(
        app.get(&format!("/api/v1/probe?host=rebind.test&port={port}"))
            .await,
    )
    .await;
    assert_eq!((status, error.error), (403, ErrorCode::TargetForbidden));
    assert!(
        !error.message.contains("169.254.169.254"),
        "the refusal does not say where the name points: {}",
        error.message
    );
    assert_eq!(resolver.lookups(), 1);
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_port_443_and_the_operators_ports_are_scanned() {
    let pki = TestPki::new();
    let server = good_server(&pki, "ports.test").await;
    let port = server.port();
    let resolver = StaticResolver::new().with("ports.test", &[ip("127.0.0.1")]);
    let admitted = vec!["127.0.0.1/32".parse().unwrap()];

    // Default: 443 only.
    let mut spec = AppSpec::new(&pki);
    spec.policy = AddressPolicy::public_only(admitted.clone());
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    for query in [
        format!("host=ports.test&port={port}"),
        format!("host=ports.test:{port}"),
        "host=ports.test&port=22".to_owned(),
        "host=https://ports.test:25/".to_owned(),
        format!("host=127.0.0.1&port={port}"),
    ] {
        let (status, error) = error_of(app.get(&format!("/api/v1/probe?{query}")).await).await;
        assert_eq!(
            (status, error.error),
            (403, ErrorCode::TargetForbidden),
            "{query}"
        );
        assert!(error.message.contains("--allow-port"), "{}", error.message);
    }
    assert_eq!(
        resolver.lookups(),
        0,
        "a refused port is refused before any lookup"
    );
    assert_eq!(server.connections(), 0);

    // With --allow-port for the server's port.
    let mut spec = AppSpec::new(&pki);
    spec.policy =
        AddressPolicy::public_only(admitted).with_ports(&[format!("{port}").parse().unwrap()]);
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    let response = app
        .get(&format!("/api/v1/probe?host=ports.test&port={port}"))
        .await;
    assert_eq!(response.status(), 200);
    let (status, _) = error_of(app.get("/api/v1/probe?host=ports.test&port=22").await).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_cidr_admits_a_range_and_allow_private_everything() {
    let pki = TestPki::new();
    let server = good_server(&pki, "intranet.test").await;
    let port = server.port();
    let resolver = StaticResolver::new()
        .with("intranet.test", &[ip("127.0.0.1")])
        .with("other.test", &[ip("10.9.9.9")]);
    let ports = [format!("{port}").parse().unwrap()];

    let mut spec = AppSpec::new(&pki);
    spec.policy =
        AddressPolicy::public_only(vec!["127.0.0.0/30".parse().unwrap()]).with_ports(&ports);
    spec.resolver = Some(Arc::new(resolver.clone()));
    let app = spawn_app(spec).await;
    let response = app
        .get(&format!("/api/v1/probe?host=intranet.test&port={port}"))
        .await;
    assert_eq!(response.status(), 200);
    let (status, _) = error_of(
        app.get(&format!("/api/v1/probe?host=other.test&port={port}"))
            .await,
    )
    .await;
    assert_eq!(status, 403, "10.9.9.9 is outside the admitted range");

    let mut spec = AppSpec::new(&pki);
    spec.policy = AddressPolicy::public_only(Vec::new())
        .with_any_address()
        .with_ports(&ports);
    spec.resolver = Some(Arc::new(resolver));
    let app = spawn_app(spec).await;
    let response = app
        .get(&format!("/api/v1/probe?host=intranet.test&port={port}"))
        .await;
    assert_eq!(response.status(), 200);
}
