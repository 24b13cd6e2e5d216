//! SSL 2.0: record headers (both forms), the SSL 2.0-accepting deframer and the SERVER-HELLO
//! / ERROR parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probe_server::wire::record::Ssl2RecordHeader;
use probe_server::wire::{Frame, RecordReader, Ssl2Message};

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Ssl2RecordHeader::read(data) {
        assert!(usize::from(h.padding) <= h.length);
        assert!(h.header_len == 2 || h.header_len == 3);
    }
    let _ = Ssl2Message::read(data);
    let mut rr = RecordReader::accepting_ssl2();
    rr.push(data);
    while let Ok(Some(frame)) = rr.next_frame() {
        if let Frame::Ssl2(record) = frame {
            let _ = Ssl2Message::read(&record.data);
        }
    }
});
