//! The record deframer, fed in chunks whose sizes the input chooses, in TLS-only and
//! SSL 2.0-accepting modes. Every frame it yields must re-encode to bytes that deframe to
//! the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probe_server::wire::{Frame, RecordReader};

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 64) + 1;
    for ssl2 in [false, true] {
        let mut rr = if ssl2 {
            RecordReader::accepting_ssl2()
        } else {
            RecordReader::new()
        };
        'feed: for chunk in rest.chunks(step) {
            rr.push(chunk);
            loop {
                match rr.next_frame() {
                    Ok(Some(Frame::Tls(record))) => {
                        assert!(record.payload.len() <= probe_server::wire::record::MAX_RECORD_PAYLOAD);
                        let mut again = RecordReader::new();
                        again.push(&record.encode());
                        assert_eq!(again.next_frame(), Ok(Some(Frame::Tls(record))));
                    }
                    Ok(Some(Frame::Ssl2(record))) => {
                        assert!(record.data.len() <= probe_server::wire::record::MAX_SSL2_RECORD);
                    }
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
        }
    }
});
