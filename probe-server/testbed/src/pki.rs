//! A throw-away test PKI: a root, an intermediate and leaves with exactly the defects the
//! probe must detect. Everything is generated afresh (rcgen; the real OpenSSL CLI for what
//! rcgen cannot make: SHA-1 signatures, RSA-1024 keys, OCSP responses) into a temporary
//! directory that disappears with the [`TestPki`].

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256, PublicKeyData,
    RsaKeySize, SubjectPublicKeyInfo,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// The key a leaf certificate gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKey {
    EcdsaP256,
    Rsa2048,
    /// Made by `openssl genrsa 1024`: no Rust crate here will generate one.
    Rsa1024,
    /// An Ed25519 key (RFC 8410); OpenSSL 3 servers sign TLS 1.2 and 1.3 handshakes with it.
    Ed25519,
}

/// Who signs a leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafIssuer {
    /// The intermediate (the normal case).
    Intermediate,
    /// The leaf signs itself.
    SelfSigned,
}

/// What a leaf certificate looks like.
#[derive(Clone, Debug)]
pub struct LeafSpec {
    pub names: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub key: LeafKey,
    pub issuer: LeafIssuer,
    /// Sign with SHA-1 (through the OpenSSL CLI) instead of SHA-256.
    pub sha1_signature: bool,
    /// Authority Information Access caIssuers URL (for chain-completion tests).
    pub ca_issuers_url: Option<String>,
    /// OCSP Must-Staple: the TLS Feature extension with status_request (RFC 7633).
    pub must_staple: bool,
    /// SCTs to embed (RFC 6962 precertificate SCTs, signed over the TBS without them).
    pub embedded_scts: Vec<EmbeddedSct>,
}

/// One embedded SCT: its log, and whether its signature is made wrong on purpose.
#[derive(Clone, Debug)]
pub struct EmbeddedSct {
    pub log: std::sync::Arc<crate::ct::TestCtLog>,
    pub tamper: bool,
}

impl LeafSpec {
    /// A valid leaf for `name`: 90 days, ECDSA P-256, issued by the intermediate.
    pub fn valid(name: &str) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            names: vec![name.to_owned()],
            not_before: now - Duration::days(10),
            not_after: now + Duration::days(80),
            key: LeafKey::EcdsaP256,
            issuer: LeafIssuer::Intermediate,
            sha1_signature: false,
            ca_issuers_url: None,
            must_staple: false,
            embedded_scts: Vec::new(),
        }
    }

    /// Expired `days` ago.
    pub fn expired(name: &str, days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            not_before: now - Duration::days(90 + days),
            not_after: now - Duration::days(days),
            ..Self::valid(name)
        }
    }

    /// Valid only from `days` in the future.
    pub fn not_yet_valid(name: &str, days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            not_before: now + Duration::days(days),
            not_after: now + Duration::days(days + 90),
            ..Self::valid(name)
        }
    }
}

/// A generated certificate with its key, and the files external servers need.
#[derive(Debug)]
pub struct Leaf {
    /// The leaf alone.
    pub cert_der: CertificateDer<'static>,
    /// The key, PKCS#8.
    pub key_der: PrivatePkcs8KeyDer<'static>,
    /// PEM files: the leaf alone, the leaf followed by the intermediate, the key.
    pub cert_pem: PathBuf,
    pub chain_pem: PathBuf,
    pub key_pem: PathBuf,
}

impl Leaf {
    /// The private key in the form rustls takes.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key_der.clone_key())
    }
}

/// A root CA and an intermediate CA in a temporary directory.
pub struct TestPki {
    dir: tempfile::TempDir,
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
    root_pem: PathBuf,
    intermediate_pem: PathBuf,
    intermediate_key_pem: PathBuf,
    next_id: std::cell::Cell<u32>,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki")
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

fn ca_params(common_name: &str) -> CertificateParams {
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Probe Test PKI");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - Duration::days(365);
    params.not_after = now + Duration::days(3650);
    params.use_authority_key_identifier_extension = true;
    params
}

/// DER of an Authority Information Access extension value with one caIssuers URI.
fn aia_ca_issuers(url: &str) -> Vec<u8> {
    // AuthorityInfoAccessSyntax ::= SEQUENCE OF AccessDescription
    // AccessDescription ::= SEQUENCE { accessMethod OID 1.3.6.1.5.5.7.48.2, accessLocation [6] IA5String }
    let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut uri = vec![0x86];
    der_len(&mut uri, url.len());
    uri.extend_from_slice(url.as_bytes());
    let mut access = vec![0x30];
    der_len(&mut access, oid.len() + uri.len());
    access.extend_from_slice(&oid);
    access.extend_from_slice(&uri);
    let mut seq = vec![0x30];
    der_len(&mut seq, access.len());
    seq.extend_from_slice(&access);
    seq
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
        _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
    }
}

/// Runs the OpenSSL CLI, panicking with its stderr if it fails (test set-up only).
fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestPki {
    /// A fresh root ("Probe Test Root") and intermediate ("Probe Test Intermediate"), both
    /// valid from a year ago for ten years.
    pub fn new() -> Self {
        let now = OffsetDateTime::now_utc();
        Self::with_intermediate_validity(now - Duration::days(365), now + Duration::days(3650))
    }

    /// Like [`TestPki::new`], with the intermediate valid only from `not_before` to
    /// `not_after` (e.g. one issued last week, under which an old leaf was never valid).
    pub fn with_intermediate_validity(
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Self {
        let dir = tempfile::tempdir().expect("create temp dir");
        let root = CertifiedIssuer::self_signed(
            ca_params("Probe Test Root"),
            KeyPair::generate().expect("keygen"),
        )
        .expect("self-sign root");
        let mut intermediate_params = ca_params("Probe Test Intermediate");
        intermediate_params.not_before = not_before;
        intermediate_params.not_after = not_after;
        let intermediate = CertifiedIssuer::signed_by(
            intermediate_params,
            KeyPair::generate().expect("keygen"),
            &root,
        )
        .expect("sign intermediate");
        let root_pem = dir.path().join("root.pem");
        let intermediate_pem = dir.path().join("intermediate.pem");
        let intermediate_key_pem = dir.path().join("intermediate.key");
        fs::write(&root_pem, root.pem()).expect("write");
        fs::write(&intermediate_pem, intermediate.pem()).expect("write");
        fs::write(&intermediate_key_pem, intermediate.key().serialize_pem()).expect("write");
        Self {
            dir,
            root,
            intermediate,
            root_pem,
            intermediate_pem,
            intermediate_key_pem,
            next_id: 0.into(),
        }
    }

    /// The directory the PKI's files live in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The root certificate as a PEM file: what the probe's `--ca-file` takes.
    pub fn root_pem(&self) -> &Path {
        &self.root_pem
    }

    /// The intermediate certificate as a PEM file.
    pub fn intermediate_pem(&self) -> &Path {
        &self.intermediate_pem
    }

    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root.der().clone()
    }

    pub fn intermediate_der(&self) -> CertificateDer<'static> {
        self.intermediate.der().clone()
    }

    /// Makes a leaf certificate to `spec`.
    pub fn leaf(&self, spec: &LeafSpec) -> Leaf {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let base = self.dir.path().join(format!("leaf{id}"));
        let key_pem_path = base.with_extension("key");

        let key = match spec.key {
            LeafKey::EcdsaP256 => KeyPair::generate().expect("keygen"),
            LeafKey::Rsa2048 => {
                KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048).expect("keygen")
            }
            LeafKey::Ed25519 => {
                // aws-lc writes Ed25519 keys as PKCS#8 v2 (with the public key), which
                // OpenSSL 3.0 cannot read ("Field=attributes"): openssl makes the key (v1),
                // and rcgen signs with it as read back.
                openssl(
                    &[
                        "genpkey",
                        "-algorithm",
                        "ED25519",
                        "-out",
                        path_str(&key_pem_path),
                    ],
                    self.dir(),
                );
                let pem = fs::read_to_string(&key_pem_path).expect("read key");
                let key = KeyPair::from_pem(&pem).expect("an Ed25519 PKCS#8 key");
                let key_der = PrivatePkcs8KeyDer::from(pem_body(&pem, "PRIVATE KEY"));
                return self.finish_leaf(spec, &key, Some(&key), key_der, &base);
            }
            LeafKey::Rsa1024 => {
                openssl(
                    &[
                        "genpkey",
                        "-algorithm",
                        "RSA",
                        "-pkeyopt",
                        "rsa_keygen_bits:1024",
                        "-out",
                        path_str(&key_pem_path),
                    ],
                    self.dir(),
                );
                let pem = fs::read_to_string(&key_pem_path).expect("read key");
                // aws-lc refuses to sign with RSA < 2048, so rcgen cannot hold this key as a
                // signing key: we certify its public half, and servers load the PEM themselves.
                return self.leaf_for_foreign_key(spec, &pem, &base);
            }
        };
        fs::write(&key_pem_path, key.serialize_pem()).expect("write key");
        let key_der = PrivatePkcs8KeyDer::from(key.serialize_der());
        self.finish_leaf(spec, &key, Some(&key), key_der, &base)
    }

    fn leaf_for_foreign_key(&self, spec: &LeafSpec, key_pem: &str, base: &Path) -> Leaf {
        let pub_path = base.with_extension("pub");
        openssl(
            &[
                "pkey",
                "-in",
                path_str(&base.with_extension("key")),
                "-pubout",
                "-out",
                path_str(&pub_path),
            ],
            self.dir(),
        );
        let public = SubjectPublicKeyInfo::from_pem(&fs::read_to_string(&pub_path).expect("read"))
            .expect("spki");
        let der = pem_body(key_pem, "PRIVATE KEY");
        self.finish_leaf(spec, &public, None, PrivatePkcs8KeyDer::from(der), base)
    }

    fn finish_leaf(
        &self,
        spec: &LeafSpec,
        public: &impl PublicKeyData,
        own_key: Option<&KeyPair>,
        key_der: PrivatePkcs8KeyDer<'static>,
        base: &Path,
    ) -> Leaf {
        let mut params = CertificateParams::new(spec.names.clone()).expect("valid names");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            DnType::CommonName,
            spec.names.first().cloned().unwrap_or_default(),
        );
        params.not_before = spec.not_before;
        params.not_after = spec.not_after;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = spec.issuer == LeafIssuer::Intermediate;
        if let Some(url) = &spec.ca_issuers_url {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                    aia_ca_issuers(url),
                ));
        }
        if spec.must_staple {
            // TLSFeature ::= SEQUENCE OF INTEGER { status_request (5) }
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 24],
                    vec![0x30, 0x03, 0x02, 0x01, 0x05],
                ));
        }

        if !spec.embedded_scts.is_empty() && spec.issuer == LeafIssuer::Intermediate {
            // The log signs the precertificate: this same TBS, without the SCT extension
            // (the serial is the key's hash, so both signings give the same TBS).
            let precert = params
                .signed_by(public, &self.intermediate)
                .expect("sign precertificate");
            let tbs = crate::ct::tbs_of(precert.der());
            let issuer_spki = self.intermediate.key().subject_public_key_info();
            let scts: Vec<Vec<u8>> = spec
                .embedded_scts
                .iter()
                .map(|e| {
                    e.log.sct(
                        &crate::ct::CtEntry::Precert {
                            issuer_spki: &issuer_spki,
                            tbs: &tbs,
                        },
                        e.tamper,
                    )
                })
                .collect();
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
                    crate::ct::der(0x04, &crate::ct::sct_list(&scts)),
                ));
        }
        let cert_pem_path = base.with_extension("crt");
        let cert_pem = if spec.sha1_signature {
            self.sign_sha1(&params, public, base)
        } else {
            match spec.issuer {
                LeafIssuer::Intermediate => params
                    .signed_by(public, &self.intermediate)
                    .expect("sign leaf")
                    .pem(),
                LeafIssuer::SelfSigned => params
                    .self_signed(
                        own_key.expect("self-signed leaves need a key rcgen can sign with"),
                    )
                    .expect("self-sign")
                    .pem(),
            }
        };
        fs::write(&cert_pem_path, &cert_pem).expect("write cert");
        let chain_pem_path = base.with_extension("chain.pem");
        let mut chain = cert_pem.clone();
        if spec.issuer == LeafIssuer::Intermediate {
            chain.push_str(&self.intermediate.pem());
        }
        fs::write(&chain_pem_path, chain).expect("write chain");
        Leaf {
            cert_der: CertificateDer::from(pem_body(&cert_pem, "CERTIFICATE")),
            key_der,
            cert_pem: cert_pem_path,
            chain_pem: chain_pem_path,
            key_pem: base.with_extension("key"),
        }
    }

    /// rcgen has no SHA-1: make the certificate with rcgen, turn it into a request signed by
    /// the leaf's own key (`openssl x509 -x509toreq`), and have OpenSSL issue it from the
    /// intermediate with SHA-1. The validity becomes "now, for the spec's length".
    fn sign_sha1(
        &self,
        params: &CertificateParams,
        public: &impl PublicKeyData,
        base: &Path,
    ) -> String {
        let draft = params
            .signed_by(public, &self.intermediate)
            .expect("sign draft");
        let draft_path = base.with_extension("draft.pem");
        let req_path = base.with_extension("req.pem");
        let out = base.with_extension("sha1.pem");
        let days = (params.not_after - params.not_before)
            .whole_days()
            .max(1)
            .to_string();
        fs::write(&draft_path, draft.pem()).expect("write");
        openssl(
            &[
                "x509",
                "-x509toreq",
                "-in",
                path_str(&draft_path),
                "-signkey",
                path_str(&base.with_extension("key")),
                "-copy_extensions",
                "copyall",
                "-out",
                path_str(&req_path),
            ],
            self.dir(),
        );
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                path_str(&req_path),
                "-CA",
                path_str(&self.intermediate_pem),
                "-CAkey",
                path_str(&self.intermediate_key_pem),
                "-sha1",
                "-copy_extensions",
                "copyall",
                "-days",
                &days,
                "-out",
                path_str(&out),
            ],
            self.dir(),
        );
        fs::read_to_string(out).expect("read")
    }

    /// A DER OCSP response for `leaf`, signed by the intermediate, made by `openssl ocsp`:
    /// "revoked" when `revoked`, else "good".
    pub fn ocsp_response(&self, leaf: &Leaf, revoked: bool) -> Vec<u8> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let base = self.dir.path().join(format!("ocsp{id}"));
        let serial = {
            let out = Command::new("openssl")
                .args(["x509", "-noout", "-serial", "-in", path_str(&leaf.cert_pem)])
                .output()
                .expect("openssl");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .trim_start_matches("serial=")
                .to_owned()
        };
        // index.txt: status, expiry, revocation date, serial, file, subject (tab separated).
        let line = if revoked {
            format!("R\t301231235959Z\t240101000000Z\t{serial}\tunknown\t/CN=revoked\n")
        } else {
            format!("V\t301231235959Z\t\t{serial}\tunknown\t/CN=good\n")
        };
        let index = base.with_extension("index");
        fs::write(&index, line).expect("write");
        let req = base.with_extension("req");
        let resp = base.with_extension("resp");
        openssl(
            &[
                "ocsp",
                "-issuer",
                path_str(&self.intermediate_pem),
                "-cert",
                path_str(&leaf.cert_pem),
                "-no_nonce",
                "-reqout",
                path_str(&req),
            ],
            self.dir(),
        );
        openssl(
            &[
                "ocsp",
                "-index",
                path_str(&index),
                "-rsigner",
                path_str(&self.intermediate_pem),
                "-rkey",
                path_str(&self.intermediate_key_pem),
                "-CA",
                path_str(&self.intermediate_pem),
                "-reqin",
                path_str(&req),
                "-respout",
                path_str(&resp),
                "-ndays",
                "7",
            ],
            self.dir(),
        );
        fs::read(resp).expect("read ocsp response")
    }
}

impl TestPki {
    /// A good OCSP response for `leaf` whose SingleResponse carries `sct_list`, signed by the
    /// intermediate (built by hand: `openssl ocsp` cannot add single extensions).
    pub fn ocsp_response_with_scts(&self, leaf: &Leaf, sct_list: &[u8]) -> Vec<u8> {
        crate::ct::ocsp_response_with_scts(
            &crate::ct::serial_of(leaf.cert_der.as_ref()),
            sct_list,
            self.intermediate.key(),
        )
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// The DER inside the first PEM block of this kind.
fn pem_body(pem: &str, label: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    match label {
        "CERTIFICATE" => CertificateDer::from_pem_slice(pem.as_bytes())
            .expect("PEM certificate")
            .to_vec(),
        _ => PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .expect("PEM PKCS#8 key")
            .secret_pkcs8_der()
            .to_vec(),
    }
}
