//! A whole server reply, through the same state machine the socket exchange uses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probe_server::wire::{FlightParser, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        flight_cap: 64 * 1024,
        max_message: 32 * 1024,
        ..Limits::default()
    };
    for ssl2 in [false, true] {
        let flight = FlightParser::parse_bytes(data, &limits, ssl2);
        assert!(flight.bytes_received <= data.len());
        let _ = flight.verdict();
        let _ = flight.key_exchange_bits();
    }
});
