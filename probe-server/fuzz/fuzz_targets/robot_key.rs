//! ROBOT's use of the server's key: whatever certificate or key a hostile server sends, the
//! test either refuses it with a reason or encrypts under it, in bounded time, without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probe_server::survey::robot::{Padding, RsaPublicKey, encoded_block};

fuzz_target!(|data: &[u8]| {
    let _ = RsaPublicKey::from_certificate(data);
    // The first byte says how long the exponent is; the modulus is what follows it.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let (exponent, modulus) = rest.split_at(usize::from(split).min(rest.len()));
    if let Ok(key) = RsaPublicKey::new(modulus, exponent) {
        for padding in Padding::ALL {
            if let Some(block) = encoded_block(padding, key.size(), 0x0303) {
                assert_eq!(block.len(), key.size());
                assert_eq!(key.encrypt(&block).len(), key.size());
            }
        }
    }
});
