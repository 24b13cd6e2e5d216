//! The local site `cargo xtask bench-load` scans: a TLS server (the testbed's, with a
//! certificate for `bench.test` and `*.bench.test` from a fresh test PKI) and a slow door to
//! it that holds each connection for `--delay-ms` first, so scans through it stay in flight.
//!
//! Prints one JSON line — `{"fast":PORT,"slow":PORT,"ca":"PEM PATH"}` — then serves until
//! its standard input closes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark fixture: failing loudly is right.

use std::time::Duration;

use testbed::{HttpAnswer, LeafSpec, TestPki, TlsServer, TlsServerSpec};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() {
    let delay = std::env::args()
        .skip_while(|a| a != "--delay-ms")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_millis(1500), Duration::from_millis);
    let pki = TestPki::new();
    let mut leaf_spec = LeafSpec::valid("bench.test");
    leaf_spec.names.push("*.bench.test".into());
    let leaf = pki.leaf(&leaf_spec);
    let mut spec = TlsServerSpec::new(&leaf, &[pki.intermediate_der()]);
    spec.answer = HttpAnswer::with_hsts("max-age=31536000; includeSubDomains");
    let server = TlsServer::start(spec).await;
    let upstream = server.addr();

    let door = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = door.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = door.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let _ = tokio::time::timeout(Duration::from_secs(60), copy).await;
                }
            });
        }
    });

    println!(
        "{{\"fast\":{},\"slow\":{slow},\"ca\":{:?}}}",
        server.port(),
        pki.root_pem().display().to_string()
    );
    // Serve until the benchmark closes our standard input (or kills us).
    let _ = tokio::task::spawn_blocking(|| {
        use std::io::Read as _;
        let mut sink = Vec::new();
        std::io::stdin().read_to_end(&mut sink)
    })
    .await;
}
