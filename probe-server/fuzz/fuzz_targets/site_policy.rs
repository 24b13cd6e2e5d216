//! The site policy's readers on hostile input: DNS rdata (CAA, HTTPS) decoded by hickory
//! and read into the report's terms, the CAA verdict over the records, the TLS Feature
//! (Must-Staple) extension value, and a whole certificate through the parser that finds it
//! and the issuer's CAA identifiers.
#![no_main]

use hickory_proto::rr::{RData, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, Restrict};
use libfuzzer_sys::fuzz_target;
use probe_server::pki::{caa, certificate::CertificateInfo, must_staple};
use probe_server::target::dns_policy;
use rustls_pki_types::CertificateDer;

fuzz_target!(|data: &[u8]| {
    let _ = must_staple::features(data);
    let der = CertificateDer::from(data.to_vec());
    if let Ok(info) = CertificateInfo::parse(&der, time::OffsetDateTime::UNIX_EPOCH) {
        let _ = info.must_staple;
    }
    let domains = caa::issuer_domains(data);
    let Ok(length) = u16::try_from(data.len()) else {
        return;
    };
    for kind in [RecordType::CAA, RecordType::HTTPS] {
        let mut decoder = BinDecoder::new(data);
        let Ok(rdata) = RData::read(&mut decoder, kind, Restrict::new(length)) else {
            continue;
        };
        let records = dns_policy::caa_records(std::slice::from_ref(&rdata));
        for wildcard in [false, true] {
            let _ = caa::allows(&records, &domains, wildcard);
            let _ = caa::allows(&records, &["letsencrypt.org".to_owned()], wildcard);
        }
        let https = dns_policy::https_records(std::slice::from_ref(&rdata));
        assert!(https.len() <= 1 && records.len() <= 1);
    }
});
