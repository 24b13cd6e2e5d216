//! The TLS 1.2 client's parsing (wire::tls12): NewSessionTicket, the ECDHE
//! ServerKeyExchange with its signed bytes, Finished, encrypted records, and the whole client
//! state machine fed these bytes as the server's side of the connection.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use probe_server::wire::exchange::Deadline;
use probe_server::wire::tls12::keys::KeyBlock;
use probe_server::wire::tls12::messages::{
    EcdheServerKeyExchange, NewSessionTicket, read_finished,
};
use probe_server::wire::tls12::{ClientConfig, Connection, suites};

fuzz_target!(|data: &[u8]| {
    if let Ok(ticket) = NewSessionTicket::read(data) {
        assert!(ticket.ticket.len() + 6 == data.len());
    }
    if let Ok(ske) = EcdheServerKeyExchange::read(data) {
        assert!(data.starts_with(&ske.params));
    }
    let _ = read_finished(data, 12);
    // Encrypted records under fixed keys: any payload opens or is refused, never panics.
    if let Some(suite) = suites::by_id(0xC030) {
        if let Ok(mut keys) = KeyBlock::derive(suite, &[1; 48], &[2; 32], &[3; 32]) {
            for content_type in [21, 22, 23] {
                let _ = keys.server.open(content_type, 0x0303, data);
            }
        }
    }
    // The client, reading these bytes as the server's flight (what it writes is dropped).
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let stream = tokio::io::join(data, tokio::io::sink());
        let config = ClientConfig::new(Some("fuzz.test".into()));
        let deadline = Deadline::new(Duration::from_millis(50), Duration::from_millis(200));
        let _ = Connection::connect(stream, &config, deadline).await;
    });
});
