//! The raw engine's TLS 1.2 client (`wire::tls12`) against real servers: it completes full
//! and abbreviated handshakes, checks the server's Finished, and renegotiates.

use std::time::Duration;

use probe_server::wire::exchange::Deadline;
use probe_server::wire::tls12::{ClientConfig, Connection, Renegotiation, Resume};
use testbed::{LeafKey, LeafSpec, OpensslServer, ProtocolVersion as TV, TestPki};
use tokio::net::TcpStream;

use crate::support::blocking;

fn deadline() -> Deadline {
    Deadline::new(Duration::from_secs(4), Duration::from_secs(10))
}

async fn connect(
    addr: std::net::SocketAddr,
    config: &ClientConfig,
) -> (Connection<TcpStream>, probe_server::wire::tls12::Handshake) {
    let stream = TcpStream::connect(addr).await.unwrap();
    Connection::connect(stream, config, deadline())
        .await
        .unwrap()
}

async fn openssl(key: LeafKey, cipher: &str, args: &[&str]) -> (TestPki, OpensslServer) {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key,
        ..LeafSpec::valid("full.test")
    });
    let cipher = cipher.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let server = blocking(move || {
        let mut builder = OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12])
            .cipher(&cipher);
        for arg in &args {
            builder = builder.arg(arg);
        }
        builder.start().unwrap()
    })
    .await;
    (pki, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn ecdhe_rsa_with_ems_resumes_by_ticket_and_by_session_id() {
    let (_pki, server) = openssl(LeafKey::Rsa2048, "ECDHE-RSA-AES256-GCM-SHA384", &[]).await;
    let config = ClientConfig::new(Some("full.test".into()));
    let (connection, full) = connect(server.addr(), &config).await;
    connection.close().await;
    assert!(!full.resumed);
    assert_eq!(full.server_hello.cipher_suite, 0xC030);
    assert!(full.extended_master_secret, "OpenSSL 3 negotiates EMS");
    let ticket = full
        .ticket
        .clone()
        .expect("OpenSSL issues tickets by default");
    assert_eq!(ticket.lifetime_hint, 7200, "s_server's default timeout");
    assert!(
        full.session.session_id.is_empty(),
        "OpenSSL gives no session id when it issues a ticket"
    );

    let by_ticket = ClientConfig {
        resume: Some((full.session.clone(), Resume::ByTicket)),
        ..config.clone()
    };
    let (connection, resumed) = connect(server.addr(), &by_ticket).await;
    connection.close().await;
    assert!(resumed.resumed, "resumed by ticket");

    let no_ticket = ClientConfig {
        session_ticket: false,
        ..config.clone()
    };
    let (connection, full) = connect(server.addr(), &no_ticket).await;
    connection.close().await;
    assert!(!full.session.session_id.is_empty());
    let by_id = ClientConfig {
        resume: Some((full.session.clone(), Resume::BySessionId)),
        ..no_ticket
    };
    let (connection, resumed) = connect(server.addr(), &by_id).await;
    connection.close().await;
    assert!(resumed.resumed, "resumed by session id");
}

#[tokio::test(flavor = "multi_thread")]
async fn rsa_key_transport_and_no_ems_when_not_offered() {
    let (_pki, server) = openssl(LeafKey::Rsa2048, "AES128-GCM-SHA256", &["-no_ticket"]).await;
    let config = ClientConfig {
        extended_master_secret: false,
        ..ClientConfig::new(Some("full.test".into()))
    };
    let (connection, full) = connect(server.addr(), &config).await;
    connection.close().await;
    assert_eq!(full.server_hello.cipher_suite, 0x009C);
    assert!(!full.extended_master_secret);
    assert!(full.ticket.is_none(), "-no_ticket");
    let by_id = ClientConfig {
        resume: Some((full.session.clone(), Resume::BySessionId)),
        ..config
    };
    let (connection, resumed) = connect(server.addr(), &by_id).await;
    connection.close().await;
    assert!(resumed.resumed);
}

#[tokio::test(flavor = "multi_thread")]
async fn ecdsa_p256_with_x25519() {
    let (_pki, server) = openssl(LeafKey::EcdsaP256, "ECDHE-ECDSA-AES128-GCM-SHA256", &[]).await;
    let config = ClientConfig::new(Some("full.test".into()));
    let (connection, full) = connect(server.addr(), &config).await;
    connection.close().await;
    assert_eq!(full.server_hello.cipher_suite, 0xC02B);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_initiated_renegotiation_follows_the_server_setting() {
    for (args, accepted) in [
        (&[][..], false),
        (&["-client_renegotiation"][..], true),
        (&["-client_renegotiation", "-no_renegotiation"][..], false),
    ] {
        let (_pki, server) = openssl(LeafKey::Rsa2048, "ECDHE-RSA-AES128-GCM-SHA256", args).await;
        let config = ClientConfig::new(Some("full.test".into()));
        let (mut connection, _) = connect(server.addr(), &config).await;
        let before = connection.verify_data().0.to_vec();
        let answer = connection.renegotiate(&config).await.unwrap();
        match (answer, accepted) {
            (Renegotiation::Completed(h), true) => {
                assert!(!h.resumed);
                assert_ne!(connection.verify_data().0, before.as_slice());
            }
            (Renegotiation::Refused(_), false) => {}
            (other, _) => panic!("{args:?}: {other:?}"),
        }
        connection.close().await;
    }
}
