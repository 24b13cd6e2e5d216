//! Each hostile server misbehaves exactly as announced, within its bounds.

use std::time::{Duration, Instant};

use testbed::{Hostile, HostileServer};

use crate::support::{Client, End, Hello, certificates};

fn hello() -> Vec<u8> {
    Hello::new(0x0303, &[0xc02f, 0x002f]).bytes()
}

fn connect_and_hello(server: &HostileServer) -> Client {
    let mut client = Client::connect(server.addr());
    client.send(&hello());
    client
}

#[test]
fn tarpit_accepts_and_never_answers() {
    let server = HostileServer::start(Hostile::Tarpit).expect("start");
    let mut client = connect_and_hello(&server);
    assert_eq!(
        client.record(Duration::from_millis(700)).err(),
        Some(End::Silent)
    );
    assert_eq!(server.connections(), 1);
}

#[test]
fn tarpit_connections_end_with_their_lifetime() {
    let server = HostileServer::start_with_lifetime(Hostile::Tarpit, Duration::from_millis(300))
        .expect("start");
    let mut client = connect_and_hello(&server);
    let (bytes, end) = client.until_end(Duration::from_secs(5));
    assert!(bytes.is_empty());
    assert_eq!(end, End::Closed);
}

#[test]
fn garbage_answers_random_bytes_and_closes() {
    let server = HostileServer::start(Hostile::Garbage { len: 300 }).expect("start");
    let mut client = connect_and_hello(&server);
    let (bytes, end) = client.until_end(Duration::from_secs(5));
    assert_eq!(bytes.len(), 300);
    assert_eq!(end, End::Closed);
}

#[test]
fn http_response_is_what_an_http_server_says_to_a_client_hello() {
    let server = HostileServer::start(Hostile::HttpResponse).expect("start");
    let mut client = connect_and_hello(&server);
    let (bytes, end) = client.until_end(Duration::from_secs(5));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert_eq!(end, End::Closed);
}

#[test]
fn oversized_record_announces_more_than_any_record_may_hold() {
    let server = HostileServer::start(Hostile::OversizedRecord).expect("start");
    let mut client = connect_and_hello(&server);
    let (bytes, _) = client.bytes(5, Duration::from_secs(5));
    let length = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    assert_eq!(&bytes[..3], &[22, 3, 3]);
    assert_eq!(length, (1 << 14) + 2048 + 1);
    let mut total = bytes.len();
    while total < 5 + length {
        let (more, end) = client.bytes(1, Duration::from_secs(5));
        total += more.len();
        assert!(end.is_none() || total >= 5 + length, "{end:?}");
    }
    assert_eq!(total, 5 + length);
}

#[test]
fn huge_handshake_announces_16_mib_and_sends_a_few_kb() {
    let server = HostileServer::start(Hostile::HugeHandshake { sent: 8192 }).expect("start");
    let mut client = connect_and_hello(&server);
    let server_hello = client.record(Duration::from_secs(5)).expect("ServerHello");
    assert_eq!((server_hello.content_type, server_hello.body[0]), (22, 2));
    let part = client
        .record(Duration::from_secs(5))
        .expect("Certificate part");
    assert_eq!(&part.body[..4], &[11, 0xff, 0xff, 0xff]);
    assert_eq!(part.body.len(), 4 + 8192);
    assert_eq!(
        client.record(Duration::from_millis(500)).err(),
        Some(End::Silent)
    );
}

#[test]
fn truncated_handshake_stops_mid_record_and_closes() {
    let server = HostileServer::start(Hostile::TruncatedHandshake).expect("start");
    let mut client = connect_and_hello(&server);
    let (bytes, end) = client.until_end(Duration::from_secs(5));
    let announced = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    assert_eq!(bytes[0], 22);
    assert!(bytes.len() < 5 + announced, "{} bytes", bytes.len());
    assert_eq!(end, End::Closed);
}

#[test]
fn drip_sends_one_byte_at_a_time_up_to_its_bound() {
    let server = HostileServer::start(Hostile::Drip {
        interval: Duration::from_millis(40),
        max_bytes: 10,
    })
    .expect("start");
    let start = Instant::now();
    let mut client = connect_and_hello(&server);
    let mut arrivals = Vec::new();
    let mut bytes = Vec::new();
    loop {
        let (chunk, end) = client.bytes(1, Duration::from_secs(5));
        if !chunk.is_empty() {
            arrivals.push(start.elapsed());
            bytes.extend(chunk);
        }
        if end.is_some() {
            assert_eq!(end, Some(End::Closed));
            break;
        }
    }
    assert_eq!(bytes.len(), 10);
    assert_eq!(&bytes[..3], &[22, 3, 3]);
    assert!(arrivals.len() >= 5, "bytes came one by one: {arrivals:?}");
    assert!(start.elapsed() >= Duration::from_millis(360));
}

#[test]
fn reset_mid_handshake_resets_the_connection() {
    let server = HostileServer::start(Hostile::ResetMidHandshake).expect("start");
    let mut client = connect_and_hello(&server);
    let (bytes, end) = client.until_end(Duration::from_secs(5));
    assert!(bytes.len() <= 20);
    assert_eq!(end, End::Reset);
}

#[test]
fn alert_flood_sends_warning_alerts_until_the_lifetime_ends() {
    let lifetime = Duration::from_millis(500);
    let server =
        HostileServer::start_with_lifetime(Hostile::AlertFlood { description: 90 }, lifetime)
            .expect("start");
    let started = Instant::now();
    let mut client = connect_and_hello(&server);
    let mut alerts = 0usize;
    // Bounded: the connection ends with its lifetime.
    let end = loop {
        match client.record(Duration::from_secs(5)) {
            Ok(alert) => {
                assert_eq!((alert.content_type, alert.version), (21, 0x0303));
                assert_eq!(alert.body, vec![1, 90], "warning, user_canceled");
                alerts += 1;
                assert!(started.elapsed() < Duration::from_secs(30), "endless");
            }
            Err(end) => break end,
        }
    };
    assert!(matches!(end, End::Closed | End::Reset), "{end:?}");
    assert!(alerts > 1000, "a flood: {alerts} alerts");
}

#[test]
fn long_chain_sends_a_real_chain_of_100_certificates() {
    let server = HostileServer::start(Hostile::LongChain { count: 100 }).expect("start");
    let mut client = connect_and_hello(&server);
    let flight = client.flight().expect("flight");
    assert_eq!(flight.types(), vec![2, 11, 14]);
    assert_eq!(
        flight.server_hello().suite,
        0x002f,
        "an RSA key-transport suite"
    );
    let chain = certificates(flight.message(11));
    assert_eq!(chain.len(), 100);
    // Each certificate is issued by the next: check one link with OpenSSL.
    let dir = tempfile::tempdir().expect("tempdir");
    let (leaf, issuer) = (dir.path().join("0.der"), dir.path().join("1.der"));
    std::fs::write(&leaf, &chain[0]).expect("write");
    std::fs::write(&issuer, &chain[1]).expect("write");
    let text = |path: &std::path::Path, what: &str| {
        let out = std::process::Command::new("openssl")
            .args(["x509", "-inform", "DER", "-noout", what, "-in"])
            .arg(path)
            .output()
            .expect("openssl");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let issuer_of_leaf = text(&leaf, "-issuer").replace("issuer=", "");
    let subject_of_next = text(&issuer, "-subject").replace("subject=", "");
    assert_eq!(issuer_of_leaf, subject_of_next);
    assert_eq!(issuer_of_leaf, "CN = ca1.chain.test");
}

#[test]
fn huge_certificate_sends_a_real_one_mebibyte_certificate() {
    let size = 1 << 20;
    let server = HostileServer::start(Hostile::HugeCertificate { size }).expect("start");
    let mut client = connect_and_hello(&server);
    let flight = client.flight().expect("flight");
    let chain = certificates(flight.message(11));
    assert_eq!(chain.len(), 1);
    assert!(chain[0].len() > size);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.der");
    std::fs::write(&path, &chain[0]).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["x509", "-inform", "DER", "-noout", "-subject", "-in"])
        .arg(&path)
        .output()
        .expect("openssl");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("huge.chain.test"),
        "{out:?}"
    );
}

#[test]
fn hostile_servers_count_their_connections() {
    let server = HostileServer::start(Hostile::Garbage { len: 1 }).expect("start");
    for _ in 0..3 {
        let mut client = connect_and_hello(&server);
        client.until_end(Duration::from_secs(5));
    }
    assert_eq!(server.connections(), 3);
}
