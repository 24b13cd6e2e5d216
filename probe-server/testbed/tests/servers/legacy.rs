//! The legacy responders answer hand-built ClientHellos byte for byte as their RFCs (and the
//! vulnerable servers they imitate) say; OpenSSL's client cross-checks their flights.

use std::time::Duration;

use md5::Digest as _;
use num_bigint::BigUint;
use testbed::legacy::{
    FallbackScsv, LEAKED_MEMORY_PATTERN, LegacyServer, LegacyServerSpec, ServerCertificate,
    SslV2Cipher, SslV2CipherList, SslV2Server, SslV2Spec, SuitePreference,
};
use testbed::{DhGroup, Leaf, LeafKey, LeafSpec, ProtocolVersion, TestPki, TestbedError};

use crate::support::Client;
use crate::support::{End, Hello, certificates, record, s_client, sslv2_client_hello, vec16};

const SERVER_HELLO: u8 = 2;
const CERTIFICATE: u8 = 11;
const SERVER_KEY_EXCHANGE: u8 = 12;
const SERVER_HELLO_DONE: u8 = 14;

fn rsa(pki: &TestPki) -> (Leaf, ServerCertificate) {
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("legacy.test")
    });
    let cert = ServerCertificate::from_leaf(&leaf).expect("certificate");
    (leaf, cert)
}

fn exchange(
    server: &LegacyServer,
    hello: &Hello,
) -> (Client, Result<crate::support::Flight, (u16, u8, u8)>) {
    let mut client = Client::connect(server.addr());
    client.send(&hello.bytes());
    let flight = client.flight();
    (client, flight)
}

/// RSA PKCS#1 v1.5 verification by hand: s^e mod n must be 00 01 FF… 00 ‖ `payload`.
fn verify_rsa(leaf: &Leaf, payload: &[u8], signature: &[u8]) {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-modulus", "-in"])
        .arg(&leaf.cert_pem)
        .output()
        .expect("openssl x509");
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text.trim().trim_start_matches("Modulus=");
    let n = BigUint::parse_bytes(hex.as_bytes(), 16).expect("modulus");
    let k = n.bits().div_ceil(8) as usize;
    let em = BigUint::from_bytes_be(signature)
        .modpow(&BigUint::from(65537u32), &n)
        .to_bytes_be();
    // to_bytes_be drops the leading 00.
    assert_eq!(em.len(), k - 1);
    assert_eq!(em[0], 0x01);
    let separator = em.iter().position(|b| *b == 0).expect("separator");
    assert!(em[1..separator].iter().all(|b| *b == 0xff));
    assert!(separator >= 9, "at least 8 bytes of FF padding");
    assert_eq!(&em[separator + 1..], payload);
}

fn md5_sha1(data: &[u8]) -> Vec<u8> {
    let mut out = md5::Md5::digest(data).to_vec();
    out.extend(sha1::Sha1::digest(data));
    out
}

#[test]
fn sslv3_only_answers_an_ssl3_hello_in_its_own_order_without_extensions() {
    let pki = TestPki::new();
    let (leaf, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::sslv3_only(cert)).expect("start");
    let hello = Hello::new(0x0300, &[0x0004, 0x000a, 0x002f]);
    let (_, flight) = exchange(&server, &hello);
    let flight = flight.expect("flight");
    assert_eq!(flight.record_version, 0x0300);
    assert_eq!(
        flight.types(),
        vec![SERVER_HELLO, CERTIFICATE, SERVER_HELLO_DONE]
    );
    let sh = flight.server_hello();
    assert_eq!((sh.version, sh.suite, sh.compression), (0x0300, 0x002f, 0));
    assert!(sh.extensions.is_none());
    let chain = certificates(flight.message(CERTIFICATE));
    assert_eq!(chain[0], leaf.cert_der.to_vec());
    assert_eq!(chain.len(), 2, "leaf and intermediate");
    assert!(flight.message(SERVER_HELLO_DONE).is_empty());
}

#[test]
fn sslv3_only_negotiates_newer_hellos_down_and_refuses_without_a_common_suite() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::sslv3_only(cert)).expect("start");
    let hello = Hello::new(0x0303, &[0xc02f, 0x0005]).ext(0xff01, &[0]);
    let sh = exchange(&server, &hello).1.expect("flight").server_hello();
    assert_eq!((sh.version, sh.suite), (0x0300, 0x0005));
    assert!(
        sh.extensions.is_none(),
        "no RFC 5746 in an SSL 3.0-only server"
    );

    let mut client = Client::connect(server.addr());
    client.send(&Hello::new(0x0300, &[0x009c, 0xc02f]).bytes());
    let reply = client.record(Duration::from_secs(5)).expect("alert");
    assert_eq!(
        record(reply.content_type, reply.version, &reply.body),
        vec![0x15, 3, 0, 0, 2, 2, 40]
    );
    assert_eq!(client.until_end(Duration::from_secs(5)).1, End::Closed);
    assert_eq!(server.connections(), 2);
}

#[test]
fn the_sslv2_compatible_hello_of_rfc5246_appendix_e2_is_answered_in_tls() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::new(cert)).expect("start");
    let mut client = Client::connect(server.addr());
    client.send(&sslv2_client_hello(0x0301, &[0x0700c0, 0x00002f]));
    let flight = client.flight().expect("flight");
    assert_eq!(flight.record_version, 0x0301);
    let sh = flight.server_hello();
    assert_eq!((sh.version, sh.suite), (0x0301, 0x002f));
}

#[test]
fn fallback_scsv_is_honoured_or_ignored() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let fallback = Hello::new(0x0300, &[0x002f, 0x5600]);

    let honouring = LegacyServer::start(LegacyServerSpec::sslv3_and_tls(
        cert.clone(),
        FallbackScsv::Honour,
    ))
    .expect("start");
    assert_eq!(
        exchange(&honouring, &fallback).1.err(),
        Some((0x0300, 2, 86))
    );
    let best = Hello::new(0x0303, &[0x002f, 0x5600]);
    let sh = exchange(&honouring, &best)
        .1
        .expect("flight")
        .server_hello();
    assert_eq!(sh.version, 0x0303);

    let ignoring = LegacyServer::start(LegacyServerSpec::sslv3_and_tls(cert, FallbackScsv::Ignore))
        .expect("start");
    let sh = exchange(&ignoring, &fallback)
        .1
        .expect("flight")
        .server_hello();
    assert_eq!((sh.version, sh.suite), (0x0300, 0x002f));
}

#[test]
fn rsa_export_sends_a_512_bit_key_signed_with_md5_sha1() {
    let pki = TestPki::new();
    let (leaf, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::export(cert)).expect("start");
    let hello = Hello::new(0x0301, &[0x0003]);
    let flight = exchange(&server, &hello).1.expect("flight");
    assert_eq!(
        flight.types(),
        vec![
            SERVER_HELLO,
            CERTIFICATE,
            SERVER_KEY_EXCHANGE,
            SERVER_HELLO_DONE
        ]
    );
    let sh = flight.server_hello();
    assert_eq!((sh.version, sh.suite), (0x0301, 0x0003));
    let ske = flight.message(SERVER_KEY_EXCHANGE);
    let (modulus, at) = vec16(ske, 0);
    let (exponent, at) = vec16(ske, at);
    assert_eq!(modulus.len(), 64);
    assert!(modulus[0] & 0x80 != 0, "a full 512-bit modulus");
    assert_eq!(exponent, &[1, 0, 1]);
    let (signature, end) = vec16(ske, at);
    assert_eq!(end, ske.len());
    let mut signed = hello_random();
    signed.extend(&sh.random);
    signed.extend(&ske[..at]);
    verify_rsa(&leaf, &md5_sha1(&signed), signature);
}

#[test]
fn dhe_export_sends_a_512_bit_group_and_plain_dhe_the_configured_one() {
    let pki = TestPki::new();
    let (leaf, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::export(cert)).expect("start");
    let hello = Hello::new(0x0301, &[0x0014]);
    let flight = exchange(&server, &hello).1.expect("flight");
    let sh = flight.server_hello();
    assert_eq!(sh.suite, 0x0014);
    let ske = flight.message(SERVER_KEY_EXCHANGE);
    let (p, at) = vec16(ske, 0);
    let (_g, at) = vec16(ske, at);
    let (_ys, at) = vec16(ske, at);
    assert_eq!(p.len(), 64);
    assert_eq!(BigUint::from_bytes_be(p).bits(), 512);
    let mut signed = hello_random();
    signed.extend(&sh.random);
    signed.extend(&ske[..at]);
    verify_rsa(&leaf, &md5_sha1(&signed), vec16(ske, at).0);

    // Plain DHE: the 1024-bit Oakley group, accepted by OpenSSL's client (which must be
    // told to talk to a server without RFC 5746, as this 1990s server is).
    let out = s_client(
        server.addr(),
        &[
            "-msg",
            "-tls1",
            "-legacy_server_connect",
            "-cipher",
            "DHE-RSA-AES128-SHA:@SECLEVEL=0",
        ],
    );
    assert!(out.contains("ClientKeyExchange"), "{out}");
    assert!(out.contains("Server Temp Key: DH, 1024 bits"), "{out}");
}

#[test]
fn compression_is_deflate_only_when_offered_and_vulnerable() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let crime = LegacyServer::start(LegacyServerSpec::compression(cert.clone())).expect("start");
    let patched = LegacyServer::start(LegacyServerSpec::new(cert)).expect("start");
    let mut offering = Hello::new(0x0303, &[0x002f]);
    offering.compression = vec![1, 0];
    let plain = Hello::new(0x0303, &[0x002f]);
    let compression = |server, hello| {
        exchange(server, hello)
            .1
            .expect("flight")
            .server_hello()
            .compression
    };
    assert_eq!(compression(&crime, &offering), 1);
    assert_eq!(compression(&crime, &plain), 0);
    assert_eq!(compression(&patched, &offering), 0);
}

#[test]
fn heartbleed_vulnerable_server_leaks_the_announced_length() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::heartbleed(cert, true)).expect("start");
    let hello = Hello::new(0x0302, &[0x002f]).ext(0x000f, &[1]);
    let (mut client, flight) = exchange(&server, &hello);
    let sh = flight.expect("flight").server_hello();
    assert_eq!(sh.extension(0x000f), Some(&[1u8][..]));

    // The classic probe: a request announcing 0x4000 bytes and carrying none.
    client.send(&[0x18, 0x03, 0x02, 0x00, 0x03, 0x01, 0x40, 0x00]);
    let mut message = Vec::new();
    while message.len() < 3 + 0x4000 + 16 {
        let r = client
            .record(Duration::from_secs(5))
            .expect("heartbeat response");
        assert_eq!((r.content_type, r.version), (0x18, 0x0302));
        assert!(r.body.len() <= 1 << 14);
        message.extend(r.body);
    }
    assert_eq!(message.len(), 3 + 0x4000 + 16);
    assert_eq!(&message[..3], &[2, 0x40, 0x00]);
    assert!(
        message
            .windows(LEAKED_MEMORY_PATTERN.len())
            .any(|w| w == LEAKED_MEMORY_PATTERN)
    );
}

#[test]
fn heartbleed_also_answers_a_request_sent_right_after_the_hello() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::heartbleed(cert, true)).expect("start");
    let mut client = Client::connect(server.addr());
    let mut bytes = Hello::new(0x0301, &[0x002f]).ext(0x000f, &[1]).bytes();
    bytes.extend([0x18, 0x03, 0x01, 0x00, 0x03, 0x01, 0x00, 0x40]);
    client.send(&bytes);
    client.flight().expect("flight");
    let r = client.record(Duration::from_secs(5)).expect("response");
    assert_eq!(r.content_type, 0x18);
    assert_eq!(r.body.len(), 3 + 0x40 + 16);
}

#[test]
fn heartbleed_patched_server_discards_overlong_requests_and_echoes_honest_ones() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::heartbleed(cert, false)).expect("start");
    let hello = Hello::new(0x0302, &[0x002f]).ext(0x000f, &[1]);
    let (mut client, flight) = exchange(&server, &hello);
    flight.expect("flight");
    client.send(&[0x18, 0x03, 0x02, 0x00, 0x03, 0x01, 0x40, 0x00]);
    assert_eq!(
        client.record(Duration::from_millis(500)).err(),
        Some(End::Silent),
        "discarded silently (RFC 6520 §4)"
    );
    let mut honest = vec![1, 0, 4];
    honest.extend(b"ping");
    honest.extend([0u8; 16]);
    client.send(&record(0x18, 0x0302, &honest));
    let r = client.record(Duration::from_secs(5)).expect("response");
    assert_eq!(r.content_type, 0x18);
    assert_eq!(&r.body[..7], b"\x02\x00\x04ping");
    assert_eq!(r.body.len(), 7 + 16);
}

#[test]
fn a_server_without_heartbeat_neither_negotiates_nor_answers_it() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::new(cert)).expect("start");
    let hello = Hello::new(0x0302, &[0x002f]).ext(0x000f, &[1]);
    let (mut client, flight) = exchange(&server, &hello);
    assert_eq!(flight.expect("flight").server_hello().extensions, None);
    client.send(&[0x18, 0x03, 0x02, 0x00, 0x03, 0x01, 0x40, 0x00]);
    let r = client.record(Duration::from_secs(5)).expect("alert");
    assert_eq!((r.content_type, r.body.as_slice()), (0x15, &[2u8, 10][..]));
}

#[test]
fn early_ccs_is_accepted_silently_by_the_vulnerable_server() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::ccs_injection(cert, true)).expect("start");
    let (mut client, flight) = exchange(&server, &Hello::new(0x0301, &[0x002f]));
    flight.expect("flight");
    client.send(&[0x14, 0x03, 0x01, 0x00, 0x01, 0x01]);
    assert_eq!(
        client.record(Duration::from_millis(500)).err(),
        Some(End::Silent)
    );
    // What sslyze sends next: a warning close_notify, which now "fails to decrypt".
    client.send(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00]);
    let r = client.record(Duration::from_secs(5)).expect("alert");
    assert_eq!((r.content_type, r.body.as_slice()), (0x15, &[2u8, 20][..]));
}

#[test]
fn early_ccs_is_refused_with_unexpected_message_by_the_patched_server() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::ccs_injection(cert, false)).expect("start");
    let (mut client, flight) = exchange(&server, &Hello::new(0x0302, &[0x002f]));
    flight.expect("flight");
    client.send(&[0x14, 0x03, 0x02, 0x00, 0x01, 0x01]);
    let r = client.record(Duration::from_secs(5)).expect("alert");
    assert_eq!(
        record(r.content_type, r.version, &r.body),
        vec![0x15, 3, 2, 0, 2, 2, 10]
    );
}

#[test]
fn renegotiation_info_is_echoed_only_by_the_patched_server() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let secure =
        LegacyServer::start(LegacyServerSpec::renegotiation(cert.clone(), true)).expect("start");
    let insecure =
        LegacyServer::start(LegacyServerSpec::renegotiation(cert, false)).expect("start");
    let with_scsv = Hello::new(0x0303, &[0x002f, 0x00ff]);
    let with_ext = Hello::new(0x0303, &[0x002f]).ext(0xff01, &[0]);
    for hello in [&with_scsv, &with_ext] {
        let sh = exchange(&secure, hello).1.expect("flight").server_hello();
        assert_eq!(sh.extension(0xff01), Some(&[0u8][..]));
        let sh = exchange(&insecure, hello).1.expect("flight").server_hello();
        assert_eq!(sh.extension(0xff01), None);
    }
    let plain = Hello::new(0x0303, &[0x002f]);
    let sh = exchange(&secure, &plain).1.expect("flight").server_hello();
    assert_eq!(sh.extensions, None, "nothing the client did not offer");
}

#[test]
fn suites_are_enumerable_and_ordered_by_the_configured_preference() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let mut spec = LegacyServerSpec::new(cert);
    spec.cipher_suites = vec![0x0035, 0x000a, 0x002f];
    let server = LegacyServer::start(spec.clone()).expect("start");
    let candidates = [0x0004, 0x0005, 0x000a, 0x002f, 0x0035, 0x009c, 0xc02f];
    let accepted: Vec<u16> = candidates
        .iter()
        .copied()
        .filter(|suite| exchange(&server, &Hello::new(0x0303, &[*suite])).1.is_ok())
        .collect();
    assert_eq!(accepted, vec![0x000a, 0x002f, 0x0035]);
    let hello = Hello::new(0x0303, &[0x002f, 0x000a, 0x0035]);
    assert_eq!(
        exchange(&server, &hello)
            .1
            .expect("flight")
            .server_hello()
            .suite,
        0x0035
    );

    spec.preference = SuitePreference::Client;
    let server = LegacyServer::start(spec).expect("start");
    assert_eq!(
        exchange(&server, &hello)
            .1
            .expect("flight")
            .server_hello()
            .suite,
        0x002f
    );
}

#[test]
fn ecdhe_uses_the_clients_group_and_tls12_signs_with_the_clients_algorithm() {
    let pki = TestPki::new();
    let (leaf, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::new(cert)).expect("start");
    let hello = Hello::new(0x0303, &[0xc02f])
        .groups(&[24])
        .sigalgs(&[0x0201])
        .ext(11, &[1, 0]);
    let flight = exchange(&server, &hello).1.expect("flight");
    let sh = flight.server_hello();
    assert_eq!(sh.extension(11), Some(&[1u8, 0][..]));
    let ske = flight.message(SERVER_KEY_EXCHANGE);
    // ECParameters: named_curve (3), secp384r1 (24); ECPoint: 97 bytes, uncompressed.
    assert_eq!(&ske[..5], &[3, 0, 24, 97, 4]);
    let params_end = 4 + 97;
    // SignatureAndHashAlgorithm: sha1 (2), rsa (1).
    assert_eq!(&ske[params_end..params_end + 2], &[2, 1]);
    let (signature, end) = vec16(ske, params_end + 2);
    assert_eq!(end, ske.len());
    let mut signed = hello_random();
    signed.extend(&sh.random);
    signed.extend(&ske[..params_end]);
    // DigestInfo for SHA-1 (RFC 8017 §9.2 note 1), then the hash.
    let mut payload = vec![
        0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
    ];
    payload.extend(sha1::Sha1::digest(&signed));
    verify_rsa(&leaf, &payload, signature);
}

#[test]
fn openssl_accepts_the_responders_signed_key_exchanges() {
    let pki = TestPki::new();
    let (_, rsa_cert) = rsa(&pki);
    let ecdsa = pki.leaf(&LeafSpec::valid("legacy.test"));
    let mut spec = LegacyServerSpec::new(rsa_cert);
    spec.certificates
        .push(ServerCertificate::from_leaf(&ecdsa).expect("certificate"));
    spec.dhe_group = DhGroup::Ffdhe2048;
    let server = LegacyServer::start(spec).expect("start");
    for (version, cipher, groups, key) in [
        (
            "-tls1_2",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "P-256",
            "ECDH, prime256v1",
        ),
        (
            "-tls1_2",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "P-384",
            "ECDH, secp384r1",
        ),
        (
            "-tls1_2",
            "DHE-RSA-AES128-GCM-SHA256",
            "X25519",
            "DH, 2048 bits",
        ),
        ("-tls1", "ECDHE-ECDSA-AES128-SHA", "X25519", "X25519"),
        (
            "-tls1_1",
            "ECDHE-RSA-AES128-SHA",
            "P-256",
            "ECDH, prime256v1",
        ),
    ] {
        let out = s_client(
            server.addr(),
            &[
                "-msg",
                version,
                "-groups",
                groups,
                "-cipher",
                &format!("{cipher}:@SECLEVEL=0"),
            ],
        );
        // OpenSSL sends its key exchange only after verifying the ServerKeyExchange signature.
        assert!(out.contains("ClientKeyExchange"), "{cipher}: {out}");
        assert!(
            out.contains(&format!("Server Temp Key: {key}")),
            "{cipher}: {out}"
        );
        assert!(!out.contains("bad signature"), "{cipher}: {out}");
    }
}

#[tokio::test]
async fn responders_answer_while_an_async_test_blocks_its_runtime() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = LegacyServer::start(LegacyServerSpec::new(cert)).expect("start");
    // A blocking client call inside a current-thread runtime: the responder has its own.
    let out = s_client(server.addr(), &["-msg", "-tls1_2"]);
    assert!(out.contains("ServerHelloDone"), "{out}");
}

#[test]
fn impossible_specs_are_refused_at_start() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let mut spec = LegacyServerSpec::new(cert);
    spec.versions = vec![ProtocolVersion::Tls13];
    assert!(matches!(
        LegacyServer::start(spec.clone()),
        Err(TestbedError::Config(_))
    ));
    spec.versions = vec![ProtocolVersion::Tls12];
    spec.cipher_suites = vec![0x1301];
    assert!(matches!(
        LegacyServer::start(spec),
        Err(TestbedError::Config(_))
    ));
    let ecdsa = ServerCertificate::from_leaf(&pki.leaf(&LeafSpec::valid("e.test"))).expect("cert");
    assert!(matches!(
        SslV2Server::start(SslV2Spec::new(ecdsa)),
        Err(TestbedError::Config(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// SSL 2.0

const ALL_V2: [u32; 7] = [
    0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700c0,
];

/// SERVER-HELLO fields: (session-id-hit, cert type, version, certificate, cipher kinds,
/// connection-id length).
fn parse_server_hello_v2(bytes: &[u8]) -> (u8, u8, u16, Vec<u8>, Vec<u32>, usize) {
    assert!(bytes[0] & 0x80 != 0, "two-byte SSL 2.0 header");
    let len = (usize::from(bytes[0] & 0x7f) << 8) | usize::from(bytes[1]);
    let m = &bytes[2..];
    assert_eq!(m.len(), len);
    assert_eq!(m[0], 4, "MSG-SERVER-HELLO");
    let be = |i: usize| usize::from(u16::from_be_bytes([m[i], m[i + 1]]));
    let (cert_len, specs_len, id_len) = (be(5), be(7), be(9));
    let cert = m[11..11 + cert_len].to_vec();
    let specs = m[11 + cert_len..11 + cert_len + specs_len]
        .chunks(3)
        .map(|c| (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]))
        .collect();
    assert_eq!(11 + cert_len + specs_len + id_len, m.len());
    (m[1], m[2], be(3) as u16, cert, specs, id_len)
}

fn v2_reply(server: &SslV2Server, hello: &[u8]) -> Vec<u8> {
    let mut client = Client::connect(server.addr());
    client.send(hello);
    let (bytes, _) = client.bytes(3, Duration::from_secs(5));
    let len = (usize::from(bytes[0] & 0x7f) << 8) | usize::from(bytes[1]);
    let (mut all, _) = (bytes, ());
    while all.len() < len + 2 {
        let (more, end) = client.bytes(1, Duration::from_secs(5));
        all.extend(more);
        if end.is_some() {
            break;
        }
    }
    all
}

#[test]
fn sslv2_server_hello_lists_the_common_ciphers_and_the_certificate() {
    let pki = TestPki::new();
    let (leaf, cert) = rsa(&pki);
    let server = SslV2Server::start(SslV2Spec::new(cert)).expect("start");
    let reply = v2_reply(&server, &sslv2_client_hello(0x0002, &ALL_V2));
    let (hit, cert_type, version, certificate, specs, id_len) = parse_server_hello_v2(&reply);
    assert_eq!((hit, cert_type, version, id_len), (0, 1, 0x0002, 16));
    assert_eq!(certificate, leaf.cert_der.to_vec());
    let expected: Vec<u32> = SslV2Cipher::ALL.iter().map(|c| c.kind()).collect();
    assert_eq!(specs, expected);

    let reply = v2_reply(&server, &sslv2_client_hello(0x0002, &[0x020080, 0x060040]));
    assert_eq!(parse_server_hello_v2(&reply).4, vec![0x060040, 0x020080]);
}

#[test]
fn sslv2_server_answers_the_sslv2_compatible_hello_of_a_tls_client() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = SslV2Server::start(SslV2Spec::new(cert)).expect("start");
    let reply = v2_reply(
        &server,
        &sslv2_client_hello(0x0301, &[0x00002f, 0x000035, 0x0700c0, 0x020080]),
    );
    let (_, _, version, _, specs, _) = parse_server_hello_v2(&reply);
    assert_eq!(version, 0x0002);
    assert_eq!(specs, vec![0x0700c0, 0x020080]);
}

#[test]
fn sslv2_server_errors_without_a_common_cipher_unless_it_lists_all() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let mut spec = SslV2Spec::new(cert);
    spec.ciphers = vec![SslV2Cipher::Des192Ede3CbcWithMd5];
    let common = SslV2Server::start(spec.clone()).expect("start");
    let hello = sslv2_client_hello(0x0002, &[0x020080]);
    let mut client = Client::connect(common.addr());
    client.send(&hello);
    let (bytes, _) = client.bytes(5, Duration::from_secs(5));
    assert_eq!(bytes, vec![0x80, 3, 0, 0, 1], "ERROR, NO-CIPHER-ERROR");

    spec.list = SslV2CipherList::All;
    let all = SslV2Server::start(spec).expect("start");
    assert_eq!(
        parse_server_hello_v2(&v2_reply(&all, &hello)).4,
        vec![0x0700c0]
    );
}

#[test]
fn sslv2_server_does_not_understand_tls_hellos() {
    let pki = TestPki::new();
    let (_, cert) = rsa(&pki);
    let server = SslV2Server::start(SslV2Spec::new(cert)).expect("start");
    let mut client = Client::connect(server.addr());
    client.send(&Hello::new(0x0303, &[0x002f]).bytes());
    let (bytes, end) = client.until_end(Duration::from_secs(5));
    assert!(bytes.is_empty());
    assert_eq!(end, End::Closed);
}

/// The client_random of every [`Hello`] (support.rs: byte i is i ^ 0x5a).
fn hello_random() -> Vec<u8> {
    (0..32u8).map(|i| i ^ 0x5a).collect()
}
