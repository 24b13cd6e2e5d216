//! Certificate Transparency against a real server: openssl s_server serves a leaf with SCTs
//! embedded by the test PKI (signed over the precertificate), more SCTs in the TLS extension
//! (`-serverinfo`) and in the stapled OCSP response (`-status_file`), each from its own test
//! log; the probe knows the logs through `--ct-log-list` (never the bundled list).

use std::sync::Arc;
use std::time::Duration;

use probe_server::pki::ct::LogList;
use probe_server::scan::{ScanRequest, Timeouts};
use probe_server::target::Target;
use shared::{Report, ScanMode, SctSignature, SctSource};
use testbed::ct::{log_list_json, sct_list, serverinfo_pem};
use testbed::{CtEntry, EmbeddedSct, HttpAnswer, LeafSpec, OpensslServer, TestCtLog, TestPki};

use crate::support::{Site, assert_matches_schema, good_spec, ids, scan_site, scanner};

async fn full_scan(pki: &TestPki, host: &str, port: u16, log_list: &std::path::Path) -> Report {
    let mut scanner = scanner(pki, &[format!("{host}:443:127.0.0.1:{port}")]);
    scanner.ct_logs = LogList::with_extra(Some(log_list)).unwrap();
    scanner.timeouts = Timeouts::within(Duration::from_secs(60));
    let request = ScanRequest {
        target: Target::parse(host).unwrap(),
        sni: None,
        mode: ScanMode::Full,
        endpoint: None,
    };
    let report = scanner.scan(&request).await.unwrap();
    assert_matches_schema(&report);
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn sct_from_the_certificate_the_tls_extension_and_ocsp_are_each_reported_and_verified() {
    let pki = TestPki::new();
    let embedded_a = Arc::new(TestCtLog::new("Test Embedded A", "Operator A"));
    let embedded_b = Arc::new(TestCtLog::new("Test Embedded B", "Operator B"));
    let tls_log = TestCtLog::new("Test TLS", "Operator C");
    let ocsp_log = TestCtLog::new("Test OCSP", "Operator D");
    let tampered_log = TestCtLog::new("Test Tampered", "Operator E");
    let leaf = pki.leaf(&LeafSpec {
        embedded_scts: vec![
            EmbeddedSct {
                log: embedded_a.clone(),
                tamper: false,
            },
            EmbeddedSct {
                log: embedded_b.clone(),
                tamper: false,
            },
        ],
        ..LeafSpec::valid("ct.test")
    });
    let der = leaf.cert_der.as_ref().to_vec();
    let serverinfo = pki.dir().join("ct.serverinfo.pem");
    let tls_scts = sct_list(&[
        tls_log.sct(&CtEntry::X509(&der), false),
        tampered_log.sct(&CtEntry::X509(&der), true),
    ]);
    std::fs::write(&serverinfo, serverinfo_pem(&tls_scts)).unwrap();
    let ocsp = pki.ocsp_response_with_scts(
        &leaf,
        &sct_list(&[ocsp_log.sct(&CtEntry::X509(&der), false)]),
    );
    let log_list = pki.dir().join("ct-log-list.json");
    std::fs::write(
        &log_list,
        log_list_json(&[&embedded_a, &embedded_b, &tls_log, &ocsp_log, &tampered_log]),
    )
    .unwrap();
    let serverinfo_arg = serverinfo.display().to_string();
    let server = tokio::task::spawn_blocking(move || {
        OpensslServer::builder(&leaf)
            .ocsp_staple(ocsp)
            .arg("-serverinfo")
            .arg(&serverinfo_arg)
            .start()
            .unwrap()
    })
    .await
    .unwrap();

    let report = full_scan(&pki, "ct.test", server.port(), &log_list).await;
    let ct = report.ct.as_ref().expect("a CT section");
    assert!(ct.tls_extension_checked, "{:#?}", report.errors);
    let seen: Vec<(SctSource, Option<&str>, SctSignature)> = ct
        .scts
        .iter()
        .map(|s| (s.source, s.log_name.as_deref(), s.signature))
        .collect();
    assert_eq!(
        seen,
        [
            (
                SctSource::Embedded,
                Some("Test Embedded A"),
                SctSignature::Valid
            ),
            (
                SctSource::Embedded,
                Some("Test Embedded B"),
                SctSignature::Valid
            ),
            (
                SctSource::TlsExtension,
                Some("Test TLS"),
                SctSignature::Valid
            ),
            (
                SctSource::TlsExtension,
                Some("Test Tampered"),
                SctSignature::Invalid
            ),
            (SctSource::Ocsp, Some("Test OCSP"), SctSignature::Valid),
        ],
        "{:#?}",
        report.errors
    );
    assert_eq!(ct.scts[2].log_operator.as_deref(), Some("Operator C"));
    assert!(ct.scts.iter().all(|s| s.timestamp.starts_with("20")));
    assert_eq!(ct.log_list.logs, 25, "5 test logs and the bundled 20");
    // The test PKI's root came from --ca-file: the browsers' policies do not apply.
    assert!(ct.chrome.is_none() && ct.apple.is_none());
    assert!(
        ids(&report).contains(&"ct-invalid-sct"),
        "{:?}",
        ids(&report)
    );
    assert!(!ids(&report).contains(&"ct-policy-not-met"));
    // The staple still reads as a valid OCSP response from the issuer.
    assert!(report.trust.ocsp.as_ref().unwrap().signature_valid);
    // The JSON names them as the schema does.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["ct"]["scts"][2]["source"], "tls_extension");
    assert_eq!(json["ct"]["scts"][3]["signature"], "invalid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leaf_without_scts_from_a_private_ca_gets_no_ct_finding() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("private-ct.test"));
    let site = Site::start(
        "private-ct.test",
        good_spec(&pki, &leaf),
        Some(HttpAnswer::redirect("https://private-ct.test/")),
    )
    .await;
    let report = scan_site(&pki, &site).await;
    let ct = report.ct.as_ref().expect("a CT section");
    assert!(ct.scts.is_empty());
    assert!(!ct.tls_extension_checked, "a quick scan sends no raw hello");
    assert!(ct.chrome.is_none() && ct.apple.is_none());
    assert_eq!(ct.log_list.version, "89.30");
    assert!(ids(&report).is_empty(), "{:?}", ids(&report));
}
