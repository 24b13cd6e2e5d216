use std::sync::Arc;

use testbed::ct::{log_list_json, sct_list};
use testbed::{CtEntry, EmbeddedSct, LeafSpec, TestCtLog, TestPki};

use super::*;

fn list_of(logs: &[&TestCtLog]) -> LogList {
    LogList::parse(&log_list_json(logs)).expect("test list parses")
}

fn input<'a>(leaf: &'a [u8], issuer: Option<&'a [u8]>) -> CtInput<'a> {
    let now = OffsetDateTime::now_utc();
    CtInput {
        leaf,
        issuer,
        ocsp: None,
        tls_extension: None,
        publicly_trusted: true,
        not_before: now - time::Duration::days(10),
        not_after: now + time::Duration::days(80),
        now,
    }
}

#[test]
fn the_bundled_list_parses_and_every_id_is_its_keys_hash() {
    let list = LogList::bundled();
    assert_eq!(list.version, "89.30");
    assert_eq!(list.timestamp, "2026-08-25T13:35:26Z");
    assert_eq!(list.logs.len(), 20);
    let argon = list
        .logs
        .iter()
        .find(|l| l.name == "Google 'Argon2026h2' log")
        .expect("Argon2026h2 is listed");
    assert_eq!(argon.operator, "Google");
    assert_eq!(argon.state, LogState::Usable);
    assert!(argon.rfc6962);
    let operators: std::collections::BTreeSet<&str> =
        list.logs.iter().map(|l| l.operator.as_str()).collect();
    assert_eq!(operators.len(), 7, "{operators:?}");
}

#[test]
fn a_list_whose_id_is_not_its_keys_hash_is_refused() {
    let log = TestCtLog::new("one", "A");
    let other = TestCtLog::new("two", "B");
    let b64 = base64::engine::general_purpose::STANDARD;
    let json =
        log_list_json(&[&log]).replace(&b64.encode(log.log_id()), &b64.encode(other.log_id()));
    assert!(matches!(
        LogList::parse(&json),
        Err(LogListError::Log { .. })
    ));
}

#[test]
fn embedded_scts_verify_over_the_rebuilt_precertificate() {
    let pki = TestPki::new();
    let (a, b) = (
        Arc::new(TestCtLog::new("Test A", "Operator A")),
        Arc::new(TestCtLog::new("Test B", "Operator B")),
    );
    let leaf = pki.leaf(&LeafSpec {
        embedded_scts: vec![
            EmbeddedSct {
                log: a.clone(),
                tamper: false,
            },
            EmbeddedSct {
                log: b.clone(),
                tamper: false,
            },
        ],
        ..LeafSpec::valid("ct.test")
    });
    let issuer = pki.intermediate_der();
    let logs = list_of(&[&a, &b]);
    let (ct, errors) = judge(&input(leaf.cert_der.as_ref(), Some(issuer.as_ref())), &logs);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ct.scts.len(), 2);
    for sct in &ct.scts {
        assert_eq!(sct.source, SctSource::Embedded);
        assert_eq!(sct.signature, SctSignature::Valid, "{sct:?}");
    }
    assert_eq!(ct.scts[0].log_name.as_deref(), Some("Test A"));
    assert_eq!(ct.scts[1].log_operator.as_deref(), Some("Operator B"));
    let chrome = ct.chrome.expect("public: judged");
    assert!(chrome.met, "{}", chrome.detail);
    assert!(ct.apple.expect("judged").met);

    // Without the issuer the precertificate cannot be rebuilt; without the log list the
    // log is unknown; neither is "invalid".
    let (ct, _) = judge(&input(leaf.cert_der.as_ref(), None), &logs);
    assert!(
        ct.scts
            .iter()
            .all(|s| s.signature == SctSignature::Unverifiable)
    );
    assert!(!ct.chrome.expect("judged").met);
    let (ct, _) = judge(
        &input(leaf.cert_der.as_ref(), Some(issuer.as_ref())),
        &LogList::bundled(),
    );
    assert!(
        ct.scts
            .iter()
            .all(|s| s.signature == SctSignature::UnknownLog)
    );
}

#[test]
fn a_tampered_embedded_sct_is_invalid_and_does_not_count() {
    let pki = TestPki::new();
    let (a, b) = (
        Arc::new(TestCtLog::new("Test A", "Operator A")),
        Arc::new(TestCtLog::new("Test B", "Operator B")),
    );
    let leaf = pki.leaf(&LeafSpec {
        embedded_scts: vec![
            EmbeddedSct {
                log: a.clone(),
                tamper: false,
            },
            EmbeddedSct {
                log: b.clone(),
                tamper: true,
            },
        ],
        ..LeafSpec::valid("ct.test")
    });
    let issuer = pki.intermediate_der();
    let (ct, _) = judge(
        &input(leaf.cert_der.as_ref(), Some(issuer.as_ref())),
        &list_of(&[&a, &b]),
    );
    let signatures: Vec<SctSignature> = ct.scts.iter().map(|s| s.signature).collect();
    assert_eq!(signatures, [SctSignature::Valid, SctSignature::Invalid]);
    let chrome = ct.chrome.expect("judged");
    assert!(!chrome.met);
    assert!(
        chrome.detail.contains("embedded: 1 valid"),
        "{}",
        chrome.detail
    );
}

#[test]
fn one_operator_or_a_long_lifetime_does_not_meet_the_policies() {
    let pki = TestPki::new();
    let (a1, a2) = (
        Arc::new(TestCtLog::new("A1", "Operator A")),
        Arc::new(TestCtLog::new("A2", "Operator A")),
    );
    let spec = |logs: &[&Arc<TestCtLog>]| LeafSpec {
        embedded_scts: logs
            .iter()
            .map(|l| EmbeddedSct {
                log: Arc::clone(l),
                tamper: false,
            })
            .collect(),
        ..LeafSpec::valid("ct.test")
    };
    let leaf = pki.leaf(&spec(&[&a1, &a2]));
    let issuer = pki.intermediate_der();
    let (ct, _) = judge(
        &input(leaf.cert_der.as_ref(), Some(issuer.as_ref())),
        &list_of(&[&a1, &a2]),
    );
    assert!(!ct.chrome.expect("judged").met, "two logs of one operator");

    let b = Arc::new(TestCtLog::new("B", "Operator B"));
    let leaf = pki.leaf(&spec(&[&a1, &b]));
    let mut long = input(leaf.cert_der.as_ref(), Some(issuer.as_ref()));
    long.not_after = long.not_before + time::Duration::days(365);
    let (ct, _) = judge(&long, &list_of(&[&a1, &b]));
    let apple = ct.apple.expect("judged");
    assert!(
        !apple.met,
        "a year-long certificate needs 3: {}",
        apple.detail
    );
    assert!(apple.detail.contains("needs 3"));
}

#[test]
fn tls_and_ocsp_scts_are_signed_over_the_leaf() {
    let pki = TestPki::new();
    let (a, b) = (
        TestCtLog::new("A", "Operator A"),
        TestCtLog::new("B", "Operator B"),
    );
    let leaf = pki.leaf(&LeafSpec::valid("ct.test"));
    let der = leaf.cert_der.as_ref();
    let tls = sct_list(&[a.sct(&CtEntry::X509(der), false)]);
    let ocsp = pki.ocsp_response_with_scts(&leaf, &sct_list(&[b.sct(&CtEntry::X509(der), false)]));
    let mut both = input(der, None);
    both.tls_extension = Some(Some(&tls));
    both.ocsp = Some(&ocsp);
    let (ct, errors) = judge(&both, &list_of(&[&a, &b]));
    assert!(errors.is_empty(), "{errors:?}");
    let seen: Vec<(SctSource, SctSignature)> =
        ct.scts.iter().map(|s| (s.source, s.signature)).collect();
    assert_eq!(
        seen,
        [
            (SctSource::TlsExtension, SctSignature::Valid),
            (SctSource::Ocsp, SctSignature::Valid)
        ]
    );
    assert!(ct.tls_extension_checked);
    assert!(ct.chrome.expect("judged").met);

    // The OCSP response is still one the OCSP reader accepts, signed by the issuer.
    let status = crate::pki::ocsp::read_stapled(&ocsp, der, Some(pki.intermediate_der().as_ref()))
        .expect("the OCSP response reads");
    assert!(status.signature_valid);
}

#[test]
fn a_private_ca_is_not_judged_by_the_browsers_policies() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("ct.test"));
    let mut private = input(leaf.cert_der.as_ref(), None);
    private.publicly_trusted = false;
    let (ct, errors) = judge(&private, &LogList::bundled());
    assert!(errors.is_empty());
    assert!(ct.scts.is_empty());
    assert!(ct.chrome.is_none() && ct.apple.is_none());
}

#[test]
fn the_precertificate_drops_the_extensions_field_when_the_sct_list_was_its_only_one() {
    // TBSCertificate { [0] v3, serial, alg, issuer, validity, subject, spki, [3] { sct } }
    let sct_ext = encode_der(
        0x30,
        &[
            encode_der(0x06, EMBEDDED_SCT_OID),
            encode_der(0x04, &encode_der(0x04, &[0, 0])),
        ]
        .concat(),
    );
    let head: Vec<u8> = [
        encode_der(0xa0, &encode_der(0x02, &[2])),
        encode_der(0x02, &[1]),
        encode_der(0x30, &[]),
        encode_der(0x30, &[]),
        encode_der(0x30, &[]),
        encode_der(0x30, &[]),
        encode_der(0x30, &[]),
    ]
    .concat();
    let tbs = encode_der(
        0x30,
        &[head.clone(), encode_der(0xa3, &encode_der(0x30, &sct_ext))].concat(),
    );
    let cert = encode_der(
        0x30,
        &[tbs, encode_der(0x30, &[]), encode_der(0x03, &[0])].concat(),
    );
    let embedded = embedded_scts(&cert).unwrap().expect("has the extension");
    assert_eq!(embedded.list, [0, 0]);
    assert_eq!(embedded.precert_tbs, encode_der(0x30, &head));
}

#[test]
fn long_lengths_are_encoded_minimally() {
    assert_eq!(encode_der(0x04, &[0; 0x7f])[..2], [0x04, 0x7f]);
    assert_eq!(encode_der(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
    assert_eq!(
        encode_der(0x04, &[0; 0x1234])[..4],
        [0x04, 0x82, 0x12, 0x34]
    );
}

#[test]
fn garbage_never_panics() {
    let log = TestCtLog::new("A", "Operator A");
    let good = sct_list(&[log.sct(&CtEntry::X509(&[1, 2, 3]), false)]);
    for len in 0..good.len() {
        assert!(parse_sct_list(&good[..len]).is_err(), "prefix {len}");
    }
    assert_eq!(parse_sct_list(&good).unwrap().len(), 1);
    assert_eq!(parse_sct_list(&[0, 0]), Err(SctError::Empty));
    let many = sct_list(&vec![vec![1u8]; MAX_SCTS_PER_LIST + 1]);
    assert_eq!(parse_sct_list(&many), Err(SctError::TooMany));
    for bytes in [
        &[][..],
        &[0x30],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x00],
    ] {
        assert!(embedded_scts(bytes).is_err() || embedded_scts(bytes).unwrap().is_none());
        assert!(ocsp_scts(bytes).is_err() || ocsp_scts(bytes).unwrap().is_none());
    }
}

/// certificate-transparency-go's test vectors (testdata/certificates.go, Apache-2.0): a leaf
/// whose embedded SCT its test log made over the precertificate, the CA that issued it, and
/// that log's key. Not our code's own output: this proves the precertificate rebuilt here is
/// byte for byte what a real log implementation signed.
#[test]
fn a_real_logs_embedded_sct_verifies_over_the_rebuilt_precertificate() {
    let leaf = include_bytes!("testdata/ctgo-embedded-leaf.der");
    let issuer = include_bytes!("testdata/ctgo-ca.der");
    let key = include_bytes!("testdata/ctgo-log-key.der");
    let b64 = base64::engine::general_purpose::STANDARD;
    let json = format!(
        r#"{{"version":"ct-go testdata","log_list_timestamp":"2013-04-05T00:00:00Z","operators":[{{"name":"Test","logs":[{{"description":"ct-go test log","log_id":"{}","key":"{}","state":{{"usable":{{"timestamp":"2013-01-01T00:00:00Z"}}}}}}]}}]}}"#,
        b64.encode(Sha256::digest(key)),
        b64.encode(key)
    );
    let logs = LogList::parse(&json).unwrap();
    let mut at_issuance = input(leaf, Some(issuer));
    at_issuance.publicly_trusted = false;
    let (ct, errors) = judge(&at_issuance, &logs);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ct.scts.len(), 1);
    assert_eq!(ct.scts[0].signature, SctSignature::Valid);
    assert_eq!(ct.scts[0].timestamp, "2013-04-05T17:04:16Z");
    assert_eq!(ct.scts[0].log_name.as_deref(), Some("ct-go test log"));

    // Another issuer's key hash changes the signed data: the same SCT no longer verifies.
    let other = TestPki::new().intermediate_der();
    let (ct, _) = judge(&input(leaf, Some(other.as_ref())), &logs);
    assert_eq!(ct.scts[0].signature, SctSignature::Invalid);
}
