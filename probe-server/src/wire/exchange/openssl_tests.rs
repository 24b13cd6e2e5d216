//! Exchanges with a real `openssl s_server` on 127.0.0.1 (skipped, with a message, when
//! `openssl` is not on PATH). The server is started once per test with a fresh
//! self-signed certificate, serves connections one at a time, and is killed by its PID
//! when the test ends (also on failure: the guard's `Drop`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use shared::ProtocolVersion;

use super::*;
use crate::wire::ClientHello;

struct OpensslServer {
    child: Child,
    dir: PathBuf,
    addr: std::net::SocketAddr,
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

async fn start_server(extra: &[&str]) -> Option<OpensslServer> {
    if !openssl_available() {
        eprintln!("SKIPPED: `openssl` is not on PATH; the real-server exchange test did not run");
        return None;
    }
    let dir = std::env::temp_dir().join(format!(
        "probe-engine-openssl-{}-{}",
        std::process::id(),
        crate::wire::client_hello::random_bytes()[0]
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl req");
    assert!(status.success(), "openssl req failed");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let child = Command::new("openssl")
        .arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}"), "-cert"])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(extra)
        // s_server quits when its stdin closes: keep a pipe open for its lifetime.
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn openssl s_server");
    let server = OpensslServer { child, dir, addr };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            // That probe connection was the server's first; let it finish with it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Some(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("openssl s_server did not listen on {addr}");
}

async fn probe(addr: std::net::SocketAddr, hello: &ClientHello) -> ServerFlight {
    let limits = Limits::with_timeouts(Duration::from_secs(3), Duration::from_secs(6));
    connect_and_exchange(addr, &hello.to_bytes(), &limits)
        .await
        .expect("connect to s_server")
        .flight
}

#[tokio::test]
async fn real_openssl_server() {
    let Some(server) = start_server(&[]).await else {
        return;
    };

    // TLS 1.2, ECDHE: a whole flight, parsed.
    let hello = ClientHello::for_version(ProtocolVersion::Tls12, &[0xC030, 0xC02F, 0x009E])
        .with_server_name("localhost");
    let f = probe(server.addr, &hello).await;
    assert_eq!(f.end, FlightEnd::ServerHelloDone, "{f:?}");
    match f.verdict() {
        Verdict::Accepted {
            version: 0x0303,
            cipher_suite,
            group: Some(_),
        } => assert!([0xC030, 0xC02F].contains(&cipher_suite)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.certificates.as_ref().map(|c| c.certificates.len()),
        Some(1)
    );
    let ske = f.server_key_exchange.as_ref().expect("ServerKeyExchange");
    assert!(ske.named_curve().is_some() && ske.signature_algorithm.is_some());

    // The one-call form.
    let verdict = offer_suites(
        server.addr,
        ProtocolVersion::Tls12,
        &[0x009C, 0xC02F],
        Some("localhost"),
        &Limits::with_timeouts(Duration::from_secs(3), Duration::from_secs(6)),
    )
    .await;
    assert!(
        matches!(verdict, Verdict::Accepted { cipher_suite, .. } if [0x009C, 0xC02F].contains(&cipher_suite)),
        "{verdict:?}"
    );

    // TLS 1.2, DHE only: the DH group's size.
    let hello = ClientHello::for_version(ProtocolVersion::Tls12, &[0x009E, 0x009F]);
    let f = probe(server.addr, &hello).await;
    assert_eq!(f.end, FlightEnd::ServerHelloDone, "{f:?}");
    assert!(f.key_exchange_bits().is_some_and(|b| b >= 2048), "{f:?}");

    // TLS 1.3: stops after the ServerHello.
    let hello = ClientHello::for_version(ProtocolVersion::Tls13, &[0x1301, 0x1302, 0x1303])
        .with_server_name("localhost");
    let f = probe(server.addr, &hello).await;
    assert_eq!(f.end, FlightEnd::Tls13ServerHello, "{f:?}");
    match f.verdict() {
        Verdict::Accepted {
            version: 0x0304,
            group: Some(group),
            ..
        } => assert!([0x001D, 0x11EC].contains(&group), "group {group:#x}"),
        other => panic!("{other:?}"),
    }

    // TLS 1.3 with a share the server does not take first: secp384r1 only in the shares
    // but x25519 preferred in the groups list may draw a HelloRetryRequest or a direct
    // answer; both are valid, and both name a group.
    let hello =
        ClientHello::for_version(ProtocolVersion::Tls13, &[0x1301]).with_groups(&[0x0018], 1);
    let f = probe(server.addr, &hello).await;
    assert!(
        matches!(
            f.end,
            FlightEnd::Tls13ServerHello | FlightEnd::HelloRetryRequest
        ),
        "{f:?}"
    );

    // No common suite: handshake_failure.
    let hello = ClientHello::for_version(ProtocolVersion::Tls12, &[0x0005, 0x000A]);
    let f = probe(server.addr, &hello).await;
    assert!(
        matches!(f.verdict(), Verdict::Refused(Refusal::Alert(a)) if a.description == alert::HANDSHAKE_FAILURE),
        "{f:?}"
    );

    // TLS 1.0 (disabled at OpenSSL 3's default security level): refused.
    let hello = ClientHello::for_version(ProtocolVersion::Tls10, &[0xC013, 0x002F]);
    let f = probe(server.addr, &hello).await;
    assert!(matches!(f.verdict(), Verdict::Refused(_)), "{f:?}");

    // SSL 2.0: refused (no SSL 2.0 in OpenSSL 3), without a hang.
    let hello = crate::wire::Ssl2ClientHello::new(&[0x010080, 0x0700C0]).to_bytes();
    let limits = Limits::with_timeouts(Duration::from_secs(3), Duration::from_secs(6));
    let f = connect_and_exchange(server.addr, &hello, &limits)
        .await
        .expect("connect")
        .flight;
    assert!(
        matches!(f.verdict(), Verdict::Refused(_) | Verdict::Failed(_)),
        "{f:?}"
    );
    drop(server);
}
