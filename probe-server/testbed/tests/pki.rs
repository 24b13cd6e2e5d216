//! The test PKI produces what it promises, checked by the real OpenSSL.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use testbed::{LeafIssuer, LeafKey, LeafSpec, TestPki};

fn openssl_text(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn valid_leaf_verifies_against_the_root_through_the_intermediate() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let verdict = openssl_text(&[
        "verify",
        "-CAfile",
        pki.root_pem().to_str().unwrap(),
        "-untrusted",
        pki.intermediate_pem().to_str().unwrap(),
        leaf.cert_pem.to_str().unwrap(),
    ]);
    assert!(verdict.contains(": OK"), "{verdict}");
}

#[test]
fn defective_leaves_have_their_defects() {
    let pki = TestPki::new();
    let expired = pki.leaf(&LeafSpec::expired("old.test", 3));
    let verdict = openssl_text(&[
        "verify",
        "-CAfile",
        pki.root_pem().to_str().unwrap(),
        "-untrusted",
        pki.intermediate_pem().to_str().unwrap(),
        expired.cert_pem.to_str().unwrap(),
    ]);
    assert!(verdict.contains("certificate has expired"), "{verdict}");

    let sha1 = pki.leaf(&LeafSpec {
        sha1_signature: true,
        ..LeafSpec::valid("sha1.test")
    });
    let text = openssl_text(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        sha1.cert_pem.to_str().unwrap(),
    ]);
    assert!(
        text.contains("Signature Algorithm: ecdsa-with-SHA1"),
        "{text}"
    );
    assert!(text.contains("DNS:sha1.test"), "{text}");

    let weak = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa1024,
        ..LeafSpec::valid("weak.test")
    });
    let text = openssl_text(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        weak.cert_pem.to_str().unwrap(),
    ]);
    assert!(text.contains("Public-Key: (1024 bit)"), "{text}");

    let own = pki.leaf(&LeafSpec {
        issuer: LeafIssuer::SelfSigned,
        ..LeafSpec::valid("self.test")
    });
    let text = openssl_text(&[
        "x509",
        "-noout",
        "-subject",
        "-issuer",
        "-in",
        own.cert_pem.to_str().unwrap(),
    ]);
    assert!(
        text.contains("subject=CN = self.test") && text.contains("issuer=CN = self.test"),
        "{text}"
    );

    let aia = pki.leaf(&LeafSpec {
        ca_issuers_url: Some("http://127.0.0.1:9/i.der".into()),
        ..LeafSpec::valid("aia.test")
    });
    let text = openssl_text(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        aia.cert_pem.to_str().unwrap(),
    ]);
    assert!(
        text.contains("CA Issuers - URI:http://127.0.0.1:9/i.der"),
        "{text}"
    );
}

#[test]
fn ocsp_responses_carry_the_requested_status() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("ocsp.test"));
    for (revoked, word) in [(true, "Cert Status: revoked"), (false, "Cert Status: good")] {
        let der = pki.ocsp_response(&leaf, revoked);
        let path = pki.dir().join(format!("check{revoked}.der"));
        std::fs::write(&path, der).unwrap();
        let text = openssl_text(&[
            "ocsp",
            "-respin",
            path.to_str().unwrap(),
            "-resp_text",
            "-noverify",
        ]);
        assert!(text.contains(word), "{text}");
    }
}

#[test]
fn an_ed25519_leaf_verifies_and_openssl_reads_its_key() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Ed25519,
        ..LeafSpec::valid("ed25519.test")
    });
    let text = openssl_text(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        leaf.cert_pem.to_str().unwrap(),
    ]);
    assert!(text.contains("Public Key Algorithm: ED25519"), "{text}");
    let verdict = openssl_text(&[
        "verify",
        "-CAfile",
        pki.root_pem().to_str().unwrap(),
        "-untrusted",
        pki.intermediate_pem().to_str().unwrap(),
        leaf.cert_pem.to_str().unwrap(),
    ]);
    assert!(verdict.contains(": OK"), "{verdict}");
    // The key file is what servers load: OpenSSL 3.0 must read it (it cannot read aws-lc's
    // PKCS#8 v2 Ed25519 keys).
    let key = openssl_text(&[
        "pkey",
        "-noout",
        "-text",
        "-in",
        leaf.key_pem.to_str().unwrap(),
    ]);
    assert!(key.contains("ED25519 Private-Key"), "{key}");
}
