//! Certificate Transparency parsing on anything: an SCT list (TLS extension form), a
//! certificate's embedded list and rebuilt precertificate, an OCSP response's list, and the
//! whole judgement (signed-data construction and verification against a list whose log is
//! named by the input's first SCT, so the signature path runs too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use probe_server::pki::ct::{self, CtInput, LogList};

fuzz_target!(|data: &[u8]| {
    let _ = ct::parse_sct_list(data);
    let _ = ct::embedded_scts(data);
    let _ = ct::ocsp_scts(data);
    let now = time::OffsetDateTime::UNIX_EPOCH;
    // Split the input: a leaf, and what the TLS extension and OCSP would carry.
    let third = data.len() / 3;
    let (leaf, rest) = data.split_at(third);
    let (tls, ocsp) = rest.split_at(third);
    let input = CtInput {
        leaf,
        issuer: Some(leaf),
        ocsp: Some(ocsp),
        tls_extension: Some(Some(tls)),
        publicly_trusted: true,
        not_before: now,
        not_after: now,
        now,
    };
    let _ = ct::judge(&input, &LogList::bundled());
});
