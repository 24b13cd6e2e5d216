//! A Certificate Transparency log of the tests' own (RFC 6962): a P-256 key that signs SCTs
//! for leaves (TLS extension and OCSP) and for precertificates (embedded), the log list that
//! names it (Google's v3 shape, for the probe's `--ct-log-list`), the serverinfo file
//! `openssl s_server -serverinfo` serves the TLS extension from, and a stapled OCSP response
//! carrying an SCT list.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rcgen::{KeyPair, PublicKeyData, SigningKey};
use sha2::{Digest, Sha256};

/// A test log.
pub struct TestCtLog {
    key: KeyPair,
    pub name: String,
    pub operator: String,
}

impl std::fmt::Debug for TestCtLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCtLog")
            .field("name", &self.name)
            .finish()
    }
}

/// Where an SCT's signature goes.
#[derive(Debug)]
pub enum CtEntry<'a> {
    /// The leaf's DER (TLS extension and OCSP SCTs).
    X509(&'a [u8]),
    /// A precertificate: the issuer's SubjectPublicKeyInfo and the TBSCertificate without
    /// the SCT extension.
    Precert {
        issuer_spki: &'a [u8],
        tbs: &'a [u8],
    },
}

impl TestCtLog {
    /// A fresh log named `name`, run by `operator`.
    pub fn new(name: &str, operator: &str) -> Self {
        Self {
            key: KeyPair::generate().expect("keygen"),
            name: name.to_owned(),
            operator: operator.to_owned(),
        }
    }

    /// The log's SubjectPublicKeyInfo, DER.
    pub fn spki_der(&self) -> Vec<u8> {
        self.key.subject_public_key_info()
    }

    /// The log's id: SHA-256 of its key.
    pub fn log_id(&self) -> [u8; 32] {
        Sha256::digest(self.spki_der()).into()
    }

    /// One serialized v1 SCT over `entry`, timestamped now. `tamper` flips a bit of the
    /// signed data first, so the signature is well-formed and wrong.
    pub fn sct(&self, entry: &CtEntry<'_>, tamper: bool) -> Vec<u8> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_millis() as u64
            - 60_000;
        let u24 = |n: usize| [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&timestamp.to_be_bytes());
        match entry {
            CtEntry::X509(der) => {
                signed.extend_from_slice(&[0, 0]);
                signed.extend_from_slice(&u24(der.len()));
                signed.extend_from_slice(der);
            }
            CtEntry::Precert { issuer_spki, tbs } => {
                signed.extend_from_slice(&[0, 1]);
                signed.extend_from_slice(&Sha256::digest(issuer_spki));
                signed.extend_from_slice(&u24(tbs.len()));
                signed.extend_from_slice(tbs);
            }
        }
        signed.extend_from_slice(&[0, 0]); // no extensions
        if tamper && let Some(last) = signed.last_mut() {
            *last ^= 1;
        }
        let signature = self.key.sign(&signed).expect("sign");
        let mut sct = vec![0u8];
        sct.extend_from_slice(&self.log_id());
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&[0, 0]);
        sct.extend_from_slice(&[4, 3]); // SHA-256, ECDSA
        sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
        sct.extend_from_slice(&signature);
        sct
    }
}

/// A SignedCertificateTimestampList of `scts`.
pub fn sct_list(scts: &[Vec<u8>]) -> Vec<u8> {
    let mut inner = Vec::new();
    for sct in scts {
        inner.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        inner.extend_from_slice(sct);
    }
    let mut list = (inner.len() as u16).to_be_bytes().to_vec();
    list.extend(inner);
    list
}

/// A log list naming `logs` (all usable since 2020), in Google's v3 shape.
pub fn log_list_json(logs: &[&TestCtLog]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut operators: Vec<(String, Vec<String>)> = Vec::new();
    for log in logs {
        let entry = format!(
            r#"{{"description":"{}","log_id":"{}","key":"{}","url":"https://ct.invalid/{}/","mmd":86400,"state":{{"usable":{{"timestamp":"2020-01-01T00:00:00Z"}}}}}}"#,
            log.name,
            b64.encode(log.log_id()),
            b64.encode(log.spki_der()),
            log.name
        );
        match operators.iter_mut().find(|(o, _)| *o == log.operator) {
            Some((_, entries)) => entries.push(entry),
            None => operators.push((log.operator.clone(), vec![entry])),
        }
    }
    let operators: Vec<String> = operators
        .into_iter()
        .map(|(name, logs)| format!(r#"{{"name":"{name}","logs":[{}]}}"#, logs.join(",")))
        .collect();
    format!(
        r#"{{"version":"test","log_list_timestamp":"2026-01-01T00:00:00Z","operators":[{}]}}"#,
        operators.join(",")
    )
}

/// The PEM `openssl s_server -serverinfo` reads: extension 18 carrying `list`.
pub fn serverinfo_pem(list: &[u8]) -> String {
    let mut block = 18u16.to_be_bytes().to_vec();
    block.extend_from_slice(&(list.len() as u16).to_be_bytes());
    block.extend_from_slice(list);
    let body = base64::engine::general_purpose::STANDARD.encode(block);
    let mut pem = String::from("-----BEGIN SERVERINFO FOR SIGNED_CERTIFICATE_TIMESTAMP-----\n");
    for chunk in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END SERVERINFO FOR SIGNED_CERTIFICATE_TIMESTAMP-----\n");
    pem
}

/// A DER element.
pub(crate) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The first element inside the outer SEQUENCE of `cert`: its TBSCertificate, whole.
pub fn tbs_of(cert: &[u8]) -> Vec<u8> {
    let (_, outer) = split_der(cert);
    split_der(outer).0.to_vec()
}

/// The serial number (DER INTEGER content) of `cert`.
pub fn serial_of(cert: &[u8]) -> Vec<u8> {
    let (_, outer) = split_der(cert);
    let (_, tbs) = split_der(outer);
    // [0] EXPLICIT version, then the serial INTEGER.
    let (version, _) = split_der(tbs);
    let after_version = &tbs[version.len()..];
    split_der(after_version).1.to_vec()
}

/// (element, content) of the first DER element in `input` (test data only: panics on bad
/// input).
fn split_der(input: &[u8]) -> (&[u8], &[u8]) {
    let first = input[1];
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        let len = input[2..2 + count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, 2 + count)
    };
    (&input[..header + len], &input[header..header + len])
}

/// A "good" OCSP response for the certificate with serial `serial` (DER INTEGER content),
/// whose SingleResponse carries `sct_list` (extension 1.3.6.1.4.1.11129.2.4.5), signed with
/// ECDSA P-256 SHA-256 by `signer` (the issuer's key).
pub fn ocsp_response_with_scts(serial: &[u8], sct_list: &[u8], signer: &KeyPair) -> Vec<u8> {
    let now = time::OffsetDateTime::now_utc();
    let gt = |t: time::OffsetDateTime| {
        der(
            0x18,
            format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
            .as_bytes(),
        )
    };
    let sha1_alg = der(
        0x30,
        &[der(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), vec![0x05, 0x00]].concat(),
    );
    let cert_id = der(
        0x30,
        &[
            sha1_alg,
            der(0x04, &[0u8; 20]),
            der(0x04, &[0u8; 20]),
            der(0x02, serial),
        ]
        .concat(),
    );
    let sct_oid = [0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x05];
    let extension = der(
        0x30,
        &[der(0x06, &sct_oid), der(0x04, &der(0x04, sct_list))].concat(),
    );
    let single = der(
        0x30,
        &[
            cert_id,
            vec![0x80, 0x00],
            gt(now - time::Duration::hours(1)),
            der(0xa0, &gt(now + time::Duration::days(3))),
            der(0xa1, &der(0x30, &extension)),
        ]
        .concat(),
    );
    let responder = der(0xa2, &der(0x04, &[0u8; 20]));
    let tbs = der(0x30, &[responder, gt(now), der(0x30, &single)].concat());
    let signature = signer.sign(&tbs).expect("sign OCSP");
    let ecdsa_sha256 = der(
        0x30,
        &der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
    );
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    let basic = der(0x30, &[tbs, ecdsa_sha256, der(0x03, &bits)].concat());
    let basic_oid = der(
        0x06,
        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01],
    );
    let bytes = der(0xa0, &der(0x30, &[basic_oid, der(0x04, &basic)].concat()));
    der(0x30, &[der(0x0a, &[0]), bytes].concat())
}
