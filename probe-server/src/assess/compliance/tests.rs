//! The requirements judged over constructed observations: servers configured as each profile
//! says, a legacy server, each deviation alone, and what a scan could not see.

use shared::{CheckError, Hsts, ProfileCompliance, ProtocolVersion as V, ScanMode};
use time::Duration;

use super::*;
use crate::assess::checks::testing::{cert, healthy};
use crate::iana::cipher_suites;

const ECDSA_12: [u16; 3] = [0xc02b, 0xc02c, 0xcca9];
const RSA_12: [u16; 3] = [0xc02f, 0xc030, 0xcca8];
const TLS13: [u16; 3] = [0x1301, 0x1302, 0x1303];

/// A fully scanned server: `suites` per version (a version with none is refused), these
/// groups (IANA names), an ECDSA P-256 leaf valid 90 days, OCSP stapled, two-year HSTS.
fn server(suites: &[(V, &[u16])], group_names: &[&str]) -> Observations {
    let mut obs = healthy();
    obs.mode = ScanMode::Full;
    obs.certificates = vec![cert(80)];
    for p in &mut obs.protocols {
        let listed = suites.iter().find(|(v, _)| *v == p.version);
        p.supported = Some(listed.is_some());
        p.cipher_suites = listed
            .map(|(_, ids)| {
                ids.iter()
                    .map(|id| {
                        cipher_suites::by_id(*id)
                            .expect("registered")
                            .to_shared(None)
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    obs.key_exchange.groups = Some(
        group_names
            .iter()
            .map(|n| groups::by_name(n).expect("registered").to_shared())
            .collect(),
    );
    obs.features.ocsp_stapling = Some(true);
    obs.http.as_mut().expect("http").hsts = Some(hsts("max-age=63072000", Some(63_072_000)));
    obs
}

fn hsts(raw: &str, max_age: Option<u64>) -> Hsts {
    Hsts {
        raw: raw.into(),
        max_age,
        include_subdomains: false,
        preload: false,
    }
}

/// Configured as the intermediate profile says, with an ECDSA certificate (OpenSSL 3.0: no
/// X25519MLKEM768).
fn intermediate_server() -> Observations {
    server(
        &[(V::Tls12, &ECDSA_12), (V::Tls13, &TLS13)],
        &["x25519", "secp256r1", "secp384r1"],
    )
}

fn modern_server() -> Observations {
    server(
        &[(V::Tls13, &TLS13)],
        &["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"],
    )
}

fn rsa_leaf(obs: &mut Observations, bits: u32) {
    let key = &mut obs.certificates[0].summary.key;
    key.algorithm = "RSA".into();
    key.bits = bits;
    key.curve = None;
}

fn judge(obs: &Observations) -> Compliance {
    assess(obs, &[])
}

fn profile<'a>(c: &'a Compliance, name: &str) -> &'a ProfileCompliance {
    c.profile(name).expect("profile")
}

fn whats(p: &ProfileCompliance) -> Vec<&str> {
    p.deviations.iter().map(|d| d.what.as_str()).collect()
}

fn unchecked(p: &ProfileCompliance) -> Vec<&str> {
    p.not_checked.iter().map(|d| d.what.as_str()).collect()
}

fn detail<'a>(p: &'a ProfileCompliance, what: &str) -> &'a str {
    p.deviations
        .iter()
        .find(|d| d.what == what)
        .map(|d| d.detail.as_str())
        .unwrap_or_else(|| panic!("no {what} deviation in {:?}", p.deviations))
}

#[test]
fn the_report_names_the_guideline_and_both_profiles() {
    let c = judge(&intermediate_server());
    assert_eq!(
        (c.guideline.as_str(), c.version.as_str()),
        ("TLSRef 6.0", "6.0")
    );
    assert!(c.source.ends_with("/guidelines/6.0.json"), "{}", c.source);
    let names: Vec<&str> = c.profiles.iter().map(|p| p.profile.as_str()).collect();
    assert_eq!(names, ["modern", "intermediate"]);
    assert!(
        profile(&c, "intermediate")
            .oldest_clients
            .contains(&"Safari 9".to_owned())
    );
}

#[test]
fn an_intermediate_server_is_intermediate_compliant_and_not_modern() {
    let c = judge(&intermediate_server());
    let intermediate = profile(&c, "intermediate");
    assert!(intermediate.compliant, "{intermediate:#?}");
    assert_eq!(intermediate.verdict(), shared::ComplianceVerdict::Compliant);
    // Missing X25519MLKEM768 is a note (OpenSSL 3.0 lacks it), not a deviation.
    assert_eq!(intermediate.notes.len(), 1, "{:?}", intermediate.notes);
    assert!(
        intermediate.notes[0]
            .detail
            .starts_with("Does not offer X25519MLKEM768,")
    );

    let modern = profile(&c, "modern");
    assert!(!modern.compliant);
    assert_eq!(whats(modern), ["tls-version", "tls12-suites"]);
    assert_eq!(
        detail(modern, "tls-version"),
        "offers TLS 1.2; the profile allows TLS 1.3"
    );
    assert_eq!(
        detail(modern, "tls12-suites"),
        "offers TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
         TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256; the profile allows no TLS 1.2 (or \
         older) suites"
    );
    assert_eq!(
        modern.deviations[0].fix,
        "Enable only TLS 1.3 (nginx: ssl_protocols TLSv1.3;)."
    );
}

#[test]
fn an_rsa_intermediate_server_needs_only_the_rsa_suites() {
    let mut obs = server(
        &[(V::Tls12, &RSA_12), (V::Tls13, &TLS13)],
        &["x25519", "secp256r1", "secp384r1"],
    );
    rsa_leaf(&mut obs, 2048);
    obs.certificates[0].summary.signature_algorithm = "sha256WithRSAEncryption".into();
    let c = judge(&obs);
    assert!(
        profile(&c, "intermediate").compliant,
        "{:#?}",
        profile(&c, "intermediate")
    );
    let modern = profile(&c, "modern");
    assert_eq!(
        whats(modern),
        [
            "tls-version",
            "tls12-suites",
            "certificate-type",
            "certificate-signature"
        ]
    );
    assert_eq!(
        detail(modern, "certificate-type"),
        "the certificate has an RSA 2048-bit key; the profile allows ecdsa certificates"
    );
}

#[test]
fn a_modern_server_is_modern_compliant_and_lacks_tls12_for_intermediate() {
    let c = judge(&modern_server());
    let modern = profile(&c, "modern");
    assert!(modern.compliant, "{modern:#?}");
    assert!(modern.notes.is_empty(), "{:?}", modern.notes);
    let intermediate = profile(&c, "intermediate");
    assert_eq!(whats(intermediate), ["tls-version"]);
    assert_eq!(
        detail(intermediate, "tls-version"),
        "lacks TLS 1.2; the profile allows TLS 1.2, TLS 1.3"
    );
}

#[test]
fn extra_and_missing_suites_are_named_exactly() {
    // One ECDSA suite missing, a CBC suite and the CCM TLS 1.3 suite extra.
    let mut obs = server(
        &[
            (V::Tls12, &[0xc02b, 0xc02c, 0xc009]),
            (V::Tls13, &[0x1301, 0x1302, 0x1303, 0x1304]),
        ],
        &["x25519", "secp256r1"],
    );
    obs.features.ocsp_stapling = Some(true);
    let c = judge(&obs);
    let p = profile(&c, "intermediate");
    assert_eq!(whats(p), ["tls12-suites", "tls13-suites"]);
    assert_eq!(
        detail(p, "tls12-suites"),
        "offers TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA; lacks \
         TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256; the profile allows \
         TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
         TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
         TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
    );
    assert_eq!(
        p.deviations[0].fix,
        "Offer exactly the profile's TLS 1.2 suites for your certificate (nginx: ssl_ciphers \
         ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;)."
    );
    assert!(
        detail(p, "tls13-suites").starts_with("offers TLS_AES_128_CCM_SHA256;"),
        "{}",
        detail(p, "tls13-suites")
    );
    assert!(p.deviations[1].fix.contains(
        "ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;"
    ));
}

#[test]
fn a_server_with_both_certificates_must_offer_both_suite_sets() {
    // The ECDSA leaf was received, but an RSA suite is accepted too: an RSA certificate
    // exists, and its other suites are missing.
    let obs = server(
        &[
            (V::Tls12, &[0xc02b, 0xc02c, 0xcca9, 0xc02f]),
            (V::Tls13, &TLS13),
        ],
        &["x25519", "secp256r1", "secp384r1"],
    );
    let c = judge(&obs);
    let p = profile(&c, "intermediate");
    assert_eq!(whats(p), ["tls12-suites"]);
    assert!(
        detail(p, "tls12-suites").starts_with(
            "lacks TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
             TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;"
        ),
        "{}",
        detail(p, "tls12-suites")
    );
}

#[test]
fn a_legacy_server_deviates_everywhere_with_the_facts() {
    let mut obs = server(
        &[
            (V::Tls10, &[0x002f, 0x0035, 0x000a, 0xc013]),
            (V::Tls11, &[0x002f, 0x0035, 0x000a, 0xc013]),
            (V::Tls12, &[0xc02f, 0x009e, 0x002f, 0x0035, 0x000a, 0xc013]),
        ],
        &["secp256r1", "secp384r1", "secp521r1"],
    );
    rsa_leaf(&mut obs, 2048);
    obs.certificates[0].summary.signature_algorithm = "sha256WithRSAEncryption".into();
    obs.certificates[0].not_after = obs.certificates[0].not_before + Duration::days(398);
    obs.certificates[0].summary.ocsp_urls = vec!["http://ocsp.test".into()];
    obs.features.ocsp_stapling = Some(false);
    obs.key_exchange.dh_min_bits = Some(1024);
    obs.http.as_mut().expect("http").hsts = None;
    for p in &mut obs.protocols {
        p.server_preference = Some(true);
    }
    let c = judge(&obs);

    let intermediate = profile(&c, "intermediate");
    assert_eq!(
        whats(intermediate),
        [
            "tls-version",
            "tls12-suites",
            "groups",
            "dh-size",
            "certificate-lifespan",
            "ocsp-stapling",
            "hsts-max-age"
        ]
    );
    assert_eq!(
        detail(intermediate, "tls-version"),
        "offers TLS 1.0, TLS 1.1; lacks TLS 1.3; the profile allows TLS 1.2, TLS 1.3"
    );
    assert_eq!(
        detail(intermediate, "tls12-suites"),
        "offers TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA, \
         TLS_RSA_WITH_AES_256_CBC_SHA, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, \
         TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA; lacks TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
         TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256; the profile allows \
         TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
         TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
         TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
    );
    assert_eq!(
        detail(intermediate, "groups"),
        "offers secp521r1; the profile allows X25519MLKEM768, x25519, secp256r1, secp384r1"
    );
    assert_eq!(
        detail(intermediate, "dh-size"),
        "uses a 1024-bit DH group with DHE suites; the profile asks for at least 2048 bits"
    );
    assert!(
        detail(intermediate, "certificate-lifespan")
            .starts_with("the certificate is valid for 398 days")
            && detail(intermediate, "certificate-lifespan")
                .ends_with("the profile allows at most 366")
    );
    assert_eq!(
        detail(intermediate, "ocsp-stapling"),
        "the server staples no OCSP response, though the certificate names a responder \
         (http://ocsp.test); the profile asks for stapling"
    );
    assert_eq!(
        detail(intermediate, "hsts-max-age"),
        "the server sends no Strict-Transport-Security header"
    );
    let notes: Vec<&str> = intermediate.notes.iter().map(|n| n.what.as_str()).collect();
    assert_eq!(notes, ["groups", "server-preferred-order"]);

    let modern = profile(&c, "modern");
    assert_eq!(
        whats(modern),
        [
            "tls-version",
            "tls12-suites",
            "groups",
            "certificate-type",
            "certificate-signature",
            "certificate-lifespan",
            "ocsp-stapling",
            "hsts-max-age"
        ]
    );
    assert_eq!(
        modern.deviations[1].fix,
        "Disable TLS 1.2 and older: the profile has no suites for them."
    );
}

#[test]
fn each_certificate_requirement_alone() {
    let base = intermediate_server();
    let only = |obs: &Observations| whats(profile(&judge(obs), "intermediate")).join(",");

    let mut obs = base.clone();
    obs.certificates[0].summary.key.curve = Some("secp521r1".into());
    obs.certificates[0].summary.key.bits = 521;
    assert_eq!(only(&obs), "certificate-curve");
    assert_eq!(
        detail(profile(&judge(&obs), "intermediate"), "certificate-curve"),
        "the certificate's key is on secp521r1; the profile allows secp256r1, secp384r1"
    );

    let mut obs = base.clone();
    obs.certificates[0].summary.signature_algorithm = "sha384WithRSAEncryption".into();
    assert_eq!(only(&obs), "certificate-signature");

    let mut obs = server(
        &[(V::Tls12, &RSA_12), (V::Tls13, &TLS13)],
        &["x25519", "secp256r1", "secp384r1"],
    );
    rsa_leaf(&mut obs, 1024);
    assert_eq!(only(&obs), "rsa-key-size");
    assert_eq!(
        detail(profile(&judge(&obs), "intermediate"), "rsa-key-size"),
        "the certificate has an RSA 1024-bit key; the profile asks for at least 2048 bits"
    );

    let mut obs = base.clone();
    obs.certificates[0].summary.key.algorithm = "Ed25519".into();
    obs.certificates[0].summary.key.curve = None;
    assert_eq!(only(&obs), "certificate-type");

    // 200 days: within intermediate's 366, a note about the 90 recommended; modern's limit
    // is 90.
    let mut obs = base.clone();
    obs.certificates[0].not_after = obs.certificates[0].not_before + Duration::days(200);
    assert_eq!(only(&obs), "");
    let c = judge(&obs);
    assert!(
        profile(&c, "intermediate")
            .notes
            .iter()
            .any(|n| n.what == "certificate-lifespan" && n.detail.contains("recommends 90"))
    );
    assert!(whats(profile(&c, "modern")).contains(&"certificate-lifespan"));
}

#[test]
fn each_key_exchange_requirement_alone() {
    let only = |obs: &Observations| whats(profile(&judge(obs), "intermediate")).join(",");
    let mut obs = intermediate_server();
    obs.key_exchange.groups = Some(
        ["x25519", "secp256r1", "secp224r1"]
            .iter()
            .map(|n| groups::by_name(n).expect("registered").to_shared())
            .collect(),
    );
    assert_eq!(only(&obs), "groups,ecdh-size");
    assert_eq!(
        detail(profile(&judge(&obs), "intermediate"), "ecdh-size"),
        "offers secp224r1 (224 bits); the profile asks for curves of at least 256 bits"
    );
    assert!(
        profile(&judge(&obs), "intermediate").deviations[0]
            .fix
            .contains("ssl_ecdh_curve X25519MLKEM768:X25519:prime256v1:secp384r1;")
    );

    // ffdhe2048 in TLS 1.3 is an extra group, but big enough.
    let mut obs = intermediate_server();
    obs.key_exchange.groups = Some(
        ["x25519", "ffdhe2048"]
            .iter()
            .map(|n| groups::by_name(n).expect("registered").to_shared())
            .collect(),
    );
    assert_eq!(only(&obs), "groups");
}

#[test]
fn hsts_and_stapling_alone() {
    let only = |obs: &Observations| whats(profile(&judge(obs), "intermediate")).join(",");
    let mut obs = intermediate_server();
    obs.http.as_mut().expect("http").hsts = Some(hsts("max-age=31536000", Some(31_536_000)));
    assert_eq!(only(&obs), "hsts-max-age");
    assert_eq!(
        detail(profile(&judge(&obs), "intermediate"), "hsts-max-age"),
        "HSTS max-age is 31536000 s (365 days); the profile asks for at least 63072000 s (730 days)"
    );
    obs.http.as_mut().expect("http").hsts = Some(hsts("max-age=soon", None));
    assert!(
        detail(profile(&judge(&obs), "intermediate"), "hsts-max-age").contains("no valid max-age")
    );

    // No stapling, and nothing to staple: a note, not a deviation.
    let mut obs = intermediate_server();
    obs.features.ocsp_stapling = Some(false);
    let c = judge(&obs);
    assert!(profile(&c, "intermediate").compliant);
    assert!(
        profile(&c, "intermediate")
            .notes
            .iter()
            .any(|n| n.what == "ocsp-stapling" && n.detail.starts_with("Not applicable"))
    );
    obs.certificates[0].summary.ocsp_urls = vec!["http://ocsp.test".into()];
    assert_eq!(only(&obs), "ocsp-stapling");
}

#[test]
fn what_was_not_seen_is_not_checked_never_passed() {
    // A quick scan: suites and groups unknown, SSL 2.0 to TLS 1.1 untested.
    let mut obs = healthy();
    obs.features.ocsp_stapling = Some(true);
    obs.http.as_mut().expect("http").hsts = Some(hsts("max-age=63072000", Some(63_072_000)));
    let c = judge(&obs);
    let intermediate = profile(&c, "intermediate");
    assert!(intermediate.deviations.is_empty(), "{intermediate:#?}");
    assert!(!intermediate.compliant);
    assert_eq!(intermediate.verdict(), shared::ComplianceVerdict::Unknown);
    assert_eq!(
        unchecked(intermediate),
        [
            "tls-version",
            "tls12-suites",
            "tls13-suites",
            "groups",
            "ecdh-size",
            "dh-size"
        ]
    );
    assert_eq!(
        intermediate.not_checked[0].detail,
        "support for SSL 2.0, SSL 3.0, TLS 1.0, TLS 1.1 was not determined"
    );
    // What is known still counts: the verified handshake saw TLS 1.2.
    let modern = profile(&c, "modern");
    assert_eq!(whats(modern), ["tls-version"]);
    assert_eq!(
        detail(modern, "tls-version"),
        "offers TLS 1.2; the profile allows TLS 1.3; SSL 2.0, SSL 3.0, TLS 1.0, TLS 1.1 not \
         determined"
    );
    assert_eq!(
        unchecked(modern),
        ["tls12-suites", "tls13-suites", "groups", "ecdh-size"]
    );

    // A full scan whose HTTP request failed, and whose group enumeration broke.
    let mut obs = intermediate_server();
    obs.http = None;
    obs.features.ocsp_stapling = None;
    let errors = [
        CheckError {
            check: "http".into(),
            message: "connection reset".into(),
        },
        CheckError {
            check: "groups".into(),
            message: "timed out".into(),
        },
    ];
    let c = assess(&obs, &errors);
    let p = profile(&c, "intermediate");
    assert!(p.deviations.is_empty());
    assert_eq!(unchecked(p), ["groups", "ocsp-stapling", "hsts-max-age"]);
    assert_eq!(
        p.not_checked[2].detail,
        "the HTTPS request did not complete (http: connection reset)"
    );
    assert!(!p.compliant);

    // No certificate: every certificate requirement unknown.
    let mut obs = intermediate_server();
    obs.certificates.clear();
    let p = judge(&obs);
    let p = profile(&p, "intermediate");
    assert_eq!(
        unchecked(p),
        [
            "certificate-type",
            "certificate-curve",
            "certificate-signature",
            "rsa-key-size",
            "certificate-lifespan"
        ]
    );

    // A supported version whose suites were not listed.
    let mut obs = intermediate_server();
    for p in &mut obs.protocols {
        if p.version == V::Tls13 {
            p.cipher_suites.clear();
        }
    }
    let c = judge(&obs);
    assert_eq!(unchecked(profile(&c, "intermediate")), ["tls13-suites"]);
}

#[test]
fn the_readme_documents_every_requirement_id() {
    let readme = include_str!("../../../../README.md");
    let missing: Vec<&str> = REQUIREMENTS
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !readme.contains(&format!("| `{id}` |")))
        .collect();
    assert!(missing.is_empty(), "README.md lacks {missing:?}");
}
