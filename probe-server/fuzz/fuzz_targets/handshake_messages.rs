//! Handshake reassembly (record payload boundaries chosen by the input) and every message
//! parser, on every message the reassembler yields and on the raw input itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probe_server::iana::cipher_suites::SkeKind;
use probe_server::wire::server::{
    Alert, CertificateChain, CertificateLimits, CertificateStatus, ServerHello,
    ServerKeyExchange, Ssl2Message, read_server_hello_done,
};
use probe_server::wire::{HandshakeMessage, HandshakeReassembler, Reader, extensions};

const KINDS: [SkeKind; 8] = [
    SkeKind::Dhe,
    SkeKind::Ecdhe,
    SkeKind::RsaExport,
    SkeKind::DhePsk,
    SkeKind::EcdhePsk,
    SkeKind::PskHint,
    SkeKind::Srp,
    SkeKind::Other,
];

fn parse_all(body: &[u8]) {
    if let Ok(sh) = ServerHello::read(body) {
        let _ = sh.protocol_version();
        let _ = sh.version();
    }
    let _ = CertificateChain::read(body, CertificateLimits::default());
    for kind in KINDS {
        for anonymous in [false, true] {
            for version in [0x0300, 0x0303] {
                if let Ok(ske) = ServerKeyExchange::read(body, kind, anonymous, version) {
                    let _ = ske.modulus_bits();
                    let _ = ske.named_curve();
                }
            }
        }
    }
    if body.len() >= 2 {
        let suite = u16::from_be_bytes([body[0], body[1]]);
        let _ = ServerKeyExchange::read_for_suite(&body[2..], suite, 0x0303);
    }
    let _ = CertificateStatus::read(body);
    let _ = read_server_hello_done(body);
    if let Ok(a) = Alert::read(body) {
        let _ = a.to_string();
    }
    let _ = Ssl2Message::read(body);
    let _ = HandshakeMessage::read(body);
    let _ = extensions::read_extensions(&mut Reader::new(body, "fuzz"));
}

fuzz_target!(|data: &[u8]| {
    parse_all(data);
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(step) + 1;
    let mut h = HandshakeReassembler::new(64 * 1024, 128 * 1024);
    for chunk in rest.chunks(step) {
        if h.push(chunk).is_err() {
            return;
        }
        loop {
            match h.next_message() {
                Ok(Some(msg)) => {
                    assert_eq!(HandshakeMessage::read(&msg.encode()).as_ref(), Ok(&msg));
                    parse_all(&msg.body);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
