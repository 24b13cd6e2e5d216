//! Exchanges against in-process loopback servers that misbehave. Every server task is
//! bounded (it ends when the client goes away, or after a few seconds) and every test uses
//! short deadlines.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::wire::record::encode_records;
use crate::wire::{ClientHello, Encoder, Ssl2ClientHello, handshake::encode_handshake};
use shared::ProtocolVersion;

fn limits() -> Limits {
    Limits::with_timeouts(Duration::from_millis(400), Duration::from_millis(1500))
}

/// Starts a one-connection server running `serve`, returns its address.
async fn serve_once<F, Fut>(serve: F) -> std::net::SocketAddr
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok(Ok((stream, _))) =
            tokio::time::timeout(Duration::from_secs(5), listener.accept()).await
        {
            // Bounded: no server lives longer than 5 s.
            let _ = tokio::time::timeout(Duration::from_secs(5), serve(stream)).await;
        }
    });
    addr
}

/// Reads the client's hello (whatever arrives first).
async fn read_hello(stream: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf).await;
}

fn hello() -> Vec<u8> {
    ClientHello::for_version(ProtocolVersion::Tls12, &[0xC02F, 0x009E, 0x002F])
        .with_server_name("localhost")
        .to_bytes()
}

fn handshake_record(messages: &[Vec<u8>]) -> Vec<u8> {
    encode_records(ContentType::Handshake, 0x0303, &messages.concat(), 16384)
}

fn server_hello(suite: u16) -> Vec<u8> {
    let mut e = Encoder::new();
    e.u16(0x0303)
        .bytes(&[0x11; 32])
        .opaque_u8(&[])
        .u16(suite)
        .u8(0)
        .vec_u16(|e| {
            e.u16(0xFF01).opaque_u16(&[0]);
            e.u16(23).opaque_u16(&[]);
        });
    encode_handshake(HandshakeType::ServerHello, &e.finish())
}

fn certificate(count: usize, size: usize) -> Vec<u8> {
    let mut e = Encoder::new();
    e.vec_u24(|e| {
        for _ in 0..count {
            e.opaque_u24(&vec![0x30; size]);
        }
    });
    encode_handshake(HandshakeType::Certificate, &e.finish())
}

fn ecdhe_ske() -> Vec<u8> {
    let mut e = Encoder::new();
    e.u8(3)
        .u16(0x0017)
        .opaque_u8(&[4; 65])
        .u16(0x0804)
        .opaque_u16(&[0xAB; 256]);
    encode_handshake(HandshakeType::ServerKeyExchange, &e.finish())
}

fn done() -> Vec<u8> {
    encode_handshake(HandshakeType::ServerHelloDone, &[])
}

#[tokio::test]
async fn well_formed_tls12_flight_in_odd_record_splits() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let flight = [
            server_hello(0xC02F),
            certificate(2, 700),
            ecdhe_ske(),
            done(),
        ]
        .concat();
        // One message split over several records, several messages in one record.
        let wire = encode_records(ContentType::Handshake, 0x0303, &flight, 333);
        for chunk in wire.chunks(100) {
            let _ = s.write_all(chunk).await;
        }
        let _ = s.read(&mut [0u8; 16]).await;
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    let f = &ex.flight;
    assert_eq!(f.end, FlightEnd::ServerHelloDone, "{f:?}");
    assert_eq!(
        f.certificates.as_ref().map(|c| c.certificates.len()),
        Some(2)
    );
    let sh = f.server_hello.as_ref().expect("ServerHello");
    assert_eq!(sh.renegotiation_info, Some(vec![]));
    assert!(sh.extended_master_secret);
    assert_eq!(
        f.verdict(),
        Verdict::Accepted {
            version: 0x0303,
            cipher_suite: 0xC02F,
            group: Some(0x0017)
        }
    );
    assert_eq!(
        f.server_key_exchange
            .as_ref()
            .and_then(|s| s.signature_algorithm),
        Some(0x0804)
    );
    assert_eq!(
        f.messages,
        [
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::ServerKeyExchange,
            HandshakeType::ServerHelloDone
        ]
    );
}

#[tokio::test]
async fn fatal_alert_is_a_refusal() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let _ = s.write_all(&[21, 3, 3, 0, 2, 2, 40]).await;
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert!(ex.flight.refused_with(alert::HANDSHAKE_FAILURE));
    match ex.flight.verdict() {
        Verdict::Refused(Refusal::Alert(a)) => assert_eq!(a.name(), "handshake_failure"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn silent_close_is_a_refusal() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert_eq!(ex.flight.end, FlightEnd::Eof);
    assert_eq!(ex.flight.verdict(), Verdict::Refused(Refusal::Closed));
}

#[tokio::test]
async fn tarpit_times_out_per_read() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    })
    .await;
    let started = std::time::Instant::now();
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        matches!(
            &ex.flight.end,
            FlightEnd::Error(WireError::Timeout {
                which: "per-read",
                ..
            })
        ),
        "{:?}",
        ex.flight.end
    );
    assert!(matches!(ex.flight.verdict(), Verdict::Failed(e) if e.is_timeout()));
}

#[tokio::test]
async fn drip_feed_hits_the_total_deadline() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let flight = handshake_record(&[server_hello(0x002F), certificate(1, 500), done()]);
        for b in flight {
            if s.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let started = std::time::Instant::now();
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert!(
        matches!(
            &ex.flight.end,
            FlightEnd::Error(WireError::Timeout { which: "total", .. })
        ),
        "{:?}",
        ex.flight.end
    );
}

#[tokio::test]
async fn http_reply_is_not_tls() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert!(
        matches!(
            &ex.flight.end,
            FlightEnd::Error(WireError::NotTls {
                guess: "an HTTP response",
                ..
            })
        ),
        "{:?}",
        ex.flight.end
    );
}

#[tokio::test]
async fn oversized_record_announcement_is_refused() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let _ = s.write_all(&[22, 3, 3, 0xFF, 0xFF]).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert!(
        matches!(
            &ex.flight.end,
            FlightEnd::Error(WireError::RecordTooLong { length: 0xFFFF, .. })
        ),
        "{:?}",
        ex.flight.end
    );
}

#[tokio::test]
async fn huge_handshake_announcement_is_refused_early() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        // A Certificate announcing 2^24 - 1 bytes, then silence.
        let _ = s
            .write_all(&handshake_record(&[server_hello(0x002F)]))
            .await;
        let _ = s.write_all(&[22, 3, 3, 0, 4, 11, 0xFF, 0xFF, 0xFF]).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert!(
        matches!(
            &ex.flight.end,
            FlightEnd::Error(WireError::MessageTooLong { .. })
        ),
        "{:?}",
        ex.flight.end
    );
    // The ServerHello still counts.
    assert!(matches!(
        ex.flight.verdict(),
        Verdict::Accepted {
            cipher_suite: 0x002F,
            ..
        }
    ));
}

#[tokio::test]
async fn endless_warning_alerts_are_cut_off() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        for _ in 0..10_000 {
            if s.write_all(&[21, 3, 3, 0, 2, 1, 112]).await.is_err() {
                return;
            }
        }
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert_eq!(
        ex.flight.end,
        FlightEnd::Error(WireError::TooMany {
            what: "warning alerts",
            max: 8
        })
    );
    assert_eq!(ex.flight.alerts.len(), 9);
}

#[tokio::test]
async fn hundred_certificate_chain_is_refused() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let flight = handshake_record(&[server_hello(0x002F), certificate(100, 1000), done()]);
        let _ = s.write_all(&flight).await;
        let _ = s.read(&mut [0u8; 16]).await;
    })
    .await;
    let ex = connect_and_exchange(addr, &hello(), &limits())
        .await
        .expect("connect");
    assert_eq!(
        ex.flight.end,
        FlightEnd::Error(WireError::TooMany {
            what: "certificates",
            max: 32
        })
    );
}

#[tokio::test]
async fn flight_over_the_byte_cap_is_refused() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let _ = s
            .write_all(&handshake_record(&[server_hello(0x002F)]))
            .await;
        // 360 KB of handshake records, past a 256 KiB flight cap.
        let chunk = encode_records(ContentType::Handshake, 0x0303, &[0x0B; 60_000], 16384);
        for _ in 0..6 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let capped = Limits {
        flight_cap: 256 * 1024,
        ..limits()
    };
    let ex = connect_and_exchange(addr, &hello(), &capped)
        .await
        .expect("connect");
    assert!(
        matches!(
            &ex.flight.end,
            FlightEnd::Error(WireError::FlightTooLarge { .. } | WireError::MessageTooLong { .. })
        ),
        "{:?}",
        ex.flight.end
    );
}

#[tokio::test]
async fn ssl2_server_hello_and_stream_reuse() {
    let addr = serve_once(|mut s| async move {
        read_hello(&mut s).await;
        let mut msg = vec![4, 0, 1, 0, 2, 0, 3, 0, 3, 0, 16];
        msg.extend([0x30, 0, 0]);
        msg.extend([1, 0, 0x80]);
        msg.extend([9; 16]);
        let mut wire = crate::wire::record::encode_ssl2_record(&msg);
        // A TLS record right behind it: it must stay in the deframer for the caller.
        wire.extend([21, 3, 0, 0, 2, 2, 10]);
        let _ = s.write_all(&wire).await;
        let _ = s.read(&mut [0u8; 16]).await;
    })
    .await;
    let hello = Ssl2ClientHello::new(&[0x010080, 0x0700C0]).to_bytes();
    let mut ex = connect_and_exchange(addr, &hello, &limits())
        .await
        .expect("connect");
    assert_eq!(ex.flight.end, FlightEnd::Ssl2ServerHello);
    assert_eq!(
        ex.flight.verdict(),
        Verdict::Ssl2Accepted {
            cipher_specs: vec![0x010080]
        }
    );
    let deadline = Deadline::new(Duration::from_millis(400), Duration::from_secs(1));
    let next = next_record(&mut ex.stream, &mut ex.records, deadline)
        .await
        .expect("a record")
        .expect("not EOF");
    assert_eq!(next.content_type, ContentType::Alert);
}

#[tokio::test]
async fn hello_retry_request_ends_the_flight() {
    let hrr = crate::wire::testdata::hex(include_str!(
        "../testdata/rfc8448_s5_hello_retry_request.hex"
    ));
    let addr = serve_once(move |mut s| async move {
        read_hello(&mut s).await;
        let _ = s.write_all(&handshake_record(&[hrr])).await;
        let _ = s.read(&mut [0u8; 16]).await;
    })
    .await;
    let hello = ClientHello::for_version(ProtocolVersion::Tls13, &[0x1301]).to_bytes();
    let ex = connect_and_exchange(addr, &hello, &limits())
        .await
        .expect("connect");
    assert_eq!(ex.flight.end, FlightEnd::HelloRetryRequest);
    assert_eq!(
        ex.flight.verdict(),
        Verdict::HelloRetry {
            cipher_suite: 0x1301,
            group: Some(0x0017)
        }
    );
}

/// Replays a captured OpenSSL flight through an in-memory pipe.
async fn replay(flight: Vec<u8>) -> ServerFlight {
    let (client, mut server) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        let _ = server.read(&mut buf).await;
        let _ = server.write_all(&flight).await;
        let _ = server.read(&mut buf).await;
    });
    exchange(client, &hello(), &limits()).await.flight
}

#[tokio::test]
async fn captured_openssl_dhe_flight() {
    let messages =
        crate::wire::testdata::hex(include_str!("../testdata/openssl3_tls12_dhe_flight.hex"));
    let f = replay(handshake_record(&[messages])).await;
    assert_eq!(f.end, FlightEnd::ServerHelloDone, "{f:?}");
    let sh = f.server_hello.as_ref().expect("ServerHello");
    assert_eq!((sh.legacy_version, sh.cipher_suite), (0x0303, 0x009E));
    assert_eq!(sh.renegotiation_info, Some(vec![]));
    assert_eq!(
        f.certificates.as_ref().map(|c| c.certificates.len()),
        Some(1)
    );
    assert_eq!(f.key_exchange_bits(), Some(2048));
    let ske = f.server_key_exchange.as_ref().expect("SKE");
    assert!(ske.signature_algorithm.is_some());
    assert_eq!(ske.signature.as_ref().map(Vec::len), Some(256));
}

#[tokio::test]
async fn captured_openssl_ecdhe_flight() {
    let messages =
        crate::wire::testdata::hex(include_str!("../testdata/openssl3_tls12_ecdhe_flight.hex"));
    // One byte per record: the worst fragmentation a server can choose.
    let wire = encode_records(ContentType::Handshake, 0x0303, &messages, 1);
    let f = replay(wire).await;
    assert_eq!(f.end, FlightEnd::ServerHelloDone, "{f:?}");
    assert_eq!(
        f.verdict(),
        Verdict::Accepted {
            version: 0x0303,
            cipher_suite: 0xC02F,
            group: Some(0x001D)
        }
    );
    let sh = f.server_hello.as_ref().expect("ServerHello");
    assert!(sh.session_ticket && sh.extended_master_secret);
}

#[test]
fn coalesced_and_malformed_alerts() {
    let f = FlightParser::parse_bytes(&[21, 3, 3, 0, 4, 1, 112, 2, 70], &Limits::default(), false);
    assert_eq!(f.alerts.len(), 2);
    assert!(f.refused_with(alert::PROTOCOL_VERSION));
    let f = FlightParser::parse_bytes(&[21, 3, 3, 0, 3, 1, 112, 2], &Limits::default(), false);
    assert_eq!(
        f.end,
        FlightEnd::Error(WireError::BadLength("alert record"))
    );
}

#[test]
fn flight_parser_from_memory() {
    let messages =
        crate::wire::testdata::hex(include_str!("../testdata/openssl3_tls12_dhe_flight.hex"));
    let wire = handshake_record(&[messages]);
    let f = FlightParser::parse_bytes(&wire, &Limits::default(), false);
    assert_eq!(f.end, FlightEnd::ServerHelloDone);
    assert_eq!(f.bytes_received, wire.len());
    // Every truncation ends cleanly: EOF or an error, never a panic.
    for len in 0..wire.len() {
        let f = FlightParser::parse_bytes(&wire[..len], &Limits::default(), false);
        assert!(
            matches!(f.end, FlightEnd::Eof | FlightEnd::Error(_)),
            "{len}"
        );
    }
    let tiny = Limits {
        flight_cap: 100,
        ..Limits::default()
    };
    let f = FlightParser::parse_bytes(&wire, &tiny, false);
    assert!(matches!(f.end, FlightEnd::Error(_)), "{:?}", f.end);
}
