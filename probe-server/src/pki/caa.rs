//! Whether a CAA record set (RFC 8659) allows the CA that issued a leaf. Pure over the set
//! and the leaf's DER.
//!
//! A CAA record names a CA by its "issuer domain name", which the CA publishes in its
//! CP/CPS (and in CCADB's "CAA Identifiers" field). A certificate does not carry it, so the
//! probe maps the issuer's organisation to it with the table below: the CAA identifiers of
//! the CAs that issue most of the web's certificates, as those CAs document them. A CA the
//! table does not know gives no verdict (`issuer_allowed` stays null) rather than a guess.

use shared::{Caa, CaaRecord};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Issuer organisation (the `O` of the leaf's issuer, compared case-insensitively) → the CAA
/// identifiers that CA answers to.
const CA_IDENTIFIERS: &[(&str, &[&str])] = &[
    ("Let's Encrypt", &["letsencrypt.org"]),
    ("Google Trust Services", &["pki.goog", "google.com"]),
    ("Google Trust Services LLC", &["pki.goog", "google.com"]),
    (
        "DigiCert Inc",
        &[
            "digicert.com",
            "www.digicert.com",
            "symantec.com",
            "geotrust.com",
            "rapidssl.com",
            "thawte.com",
            "digitalcertvalidation.com",
        ],
    ),
    ("DigiCert, Inc.", &["digicert.com", "www.digicert.com"]),
    (
        "Cloudflare, Inc.",
        &["digicert.com", "pki.goog", "letsencrypt.org"],
    ),
    (
        "Sectigo Limited",
        &[
            "sectigo.com",
            "comodoca.com",
            "comodo.com",
            "usertrust.com",
            "trust-provider.com",
        ],
    ),
    ("ZeroSSL", &["sectigo.com", "zerossl.com"]),
    ("GlobalSign nv-sa", &["globalsign.com"]),
    (
        "Amazon",
        &[
            "amazon.com",
            "amazontrust.com",
            "awstrust.com",
            "amazonaws.com",
        ],
    ),
    ("Microsoft Corporation", &["microsoft.com"]),
    ("GoDaddy.com, Inc.", &["godaddy.com", "starfieldtech.com"]),
    (
        "Starfield Technologies, Inc.",
        &["starfieldtech.com", "godaddy.com"],
    ),
    ("Entrust, Inc.", &["entrust.net", "affirmtrust.com"]),
    ("SSL Corporation", &["ssl.com"]),
    ("Buypass AS-983163327", &["buypass.com", "buypass.no"]),
    ("Asseco Data Systems S.A.", &["certum.pl", "certum.eu"]),
    ("Actalis S.p.A.", &["actalis.it"]),
    ("IdenTrust", &["identrust.com"]),
    ("QuoVadis Limited", &["quovadisglobal.com", "digicert.com"]),
    (
        "Hellenic Academic and Research Institutions CA",
        &["harica.gr"],
    ),
];

/// The CAA identifiers of the CA that issued `leaf_der`; empty when the table does not know
/// it (or the certificate does not parse).
pub fn issuer_domains(leaf_der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(leaf_der) else {
        return Vec::new();
    };
    let organisations: Vec<&str> = cert
        .issuer()
        .iter_organization()
        .filter_map(|o| o.as_str().ok())
        .collect();
    CA_IDENTIFIERS
        .iter()
        .find(|(name, _)| organisations.iter().any(|o| o.eq_ignore_ascii_case(name)))
        .map(|(_, domains)| domains.iter().map(|d| (*d).to_owned()).collect())
        .unwrap_or_default()
}

/// Whether `records` (the governing set) allow a CA known by `domains` to issue a
/// certificate for the name; `wildcard`: the leaf covers the name only through a wildcard.
/// `None` when there is no set or the CA is unknown.
///
/// RFC 8659 §4: an unknown tag marked critical forbids every issuance; `issuewild` records,
/// when present, govern wildcard certificates instead of `issue`; a set with no `issue`
/// (or, for wildcards, no `issue`/`issuewild`) record restricts nothing; an `issue` value of
/// ";" (no issuer domain) allows no CA.
pub fn allows(records: &[CaaRecord], domains: &[String], wildcard: bool) -> Option<bool> {
    if records.is_empty() || domains.is_empty() {
        return None;
    }
    const KNOWN: [&str; 5] = ["issue", "issuewild", "iodef", "issuemail", "contactemail"];
    if records
        .iter()
        .any(|r| r.critical && !KNOWN.iter().any(|k| r.tag.eq_ignore_ascii_case(k)))
    {
        return Some(false);
    }
    let of_tag = |tag: &str| -> Vec<&CaaRecord> {
        records
            .iter()
            .filter(|r| r.tag.eq_ignore_ascii_case(tag))
            .collect()
    };
    let wild = of_tag("issuewild");
    let relevant = if wildcard && !wild.is_empty() {
        wild
    } else {
        of_tag("issue")
    };
    if relevant.is_empty() {
        return Some(true);
    }
    Some(relevant.iter().any(|r| {
        let domain = issuer_domain(&r.value);
        !domain.is_empty() && domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }))
}

/// The issuer domain name of an `issue` value: the text before the first ';', trimmed, a
/// trailing dot dropped ("" when the value names no CA).
fn issuer_domain(value: &str) -> &str {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .trim_end_matches('.')
}

/// Fills in `caa`'s verdict for the leaf.
pub fn judge(caa: &mut Caa, leaf_der: &[u8], wildcard: bool) {
    caa.issuer_domains = issuer_domains(leaf_der);
    caa.issuer_allowed = allows(&caa.records, &caa.issuer_domains, wildcard);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(tag: &str, value: &str) -> CaaRecord {
        CaaRecord {
            critical: false,
            tag: tag.into(),
            value: value.into(),
        }
    }

    fn le() -> Vec<String> {
        vec!["letsencrypt.org".into()]
    }

    #[test]
    fn issue_records_name_the_allowed_cas() {
        let set = [
            record("issue", "digicert.com"),
            record("issue", "letsencrypt.org; validationmethods=dns-01"),
        ];
        assert_eq!(allows(&set, &le(), false), Some(true));
        let set = [
            record("issue", "digicert.com"),
            record("iodef", "mailto:x@y.test"),
        ];
        assert_eq!(allows(&set, &le(), false), Some(false));
        // ";" alone: no CA may issue.
        assert_eq!(allows(&[record("issue", ";")], &le(), false), Some(false));
        // Only iodef: nothing is restricted.
        assert_eq!(
            allows(&[record("iodef", "mailto:x@y.test")], &le(), false),
            Some(true)
        );
    }

    #[test]
    fn issuewild_governs_wildcards_and_falls_back_to_issue() {
        let set = [
            record("issue", "letsencrypt.org"),
            record("issuewild", "digicert.com"),
        ];
        assert_eq!(allows(&set, &le(), false), Some(true));
        assert_eq!(allows(&set, &le(), true), Some(false));
        let set = [record("issue", "letsencrypt.org")];
        assert_eq!(allows(&set, &le(), true), Some(true));
    }

    #[test]
    fn an_unknown_critical_tag_forbids_everything_and_no_verdict_without_set_or_ca() {
        let mut odd = record("tbs", "x");
        odd.critical = true;
        assert_eq!(
            allows(&[record("issue", "letsencrypt.org"), odd], &le(), false),
            Some(false)
        );
        assert_eq!(allows(&[], &le(), false), None);
        assert_eq!(
            allows(&[record("issue", "letsencrypt.org")], &[], false),
            None
        );
    }

    #[test]
    fn the_table_maps_issuer_organisations() {
        let mut params = rcgen::CertificateParams::new(vec!["caa.test".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Let's Encrypt");
        let key = rcgen::KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        assert_eq!(issuer_domains(&der), le());
        assert!(issuer_domains(b"not a certificate").is_empty());
    }
}

/// Whether `anchor` (a trust verdict's anchor, as `Trust::anchor` writes it) is one of
/// Mozilla's roots rather than one from the operator's `--ca-file`: CAA and CT bind public
/// CAs only.
pub fn is_public_root(anchor: &str) -> bool {
    static NAMES: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            webpki_roots::TLS_SERVER_ROOTS
                .iter()
                .filter_map(|root| {
                    // The root's subject is stored without its SEQUENCE header.
                    let content = root.subject.as_ref();
                    let mut der = vec![0x30];
                    let len = content.len();
                    if len < 0x80 {
                        der.push(len as u8);
                    } else if len < 0x100 {
                        der.extend([0x81, len as u8]);
                    } else {
                        der.extend([0x82, (len >> 8) as u8, len as u8]);
                    }
                    der.extend_from_slice(content);
                    x509_parser::x509::X509Name::from_der(&der)
                        .ok()
                        .map(|(_, name)| name.to_string())
                })
                .collect()
        })
        .contains(anchor)
}

#[cfg(test)]
mod public_root_tests {
    #[test]
    fn mozilla_roots_are_public_and_others_are_not() {
        assert!(super::is_public_root(
            "C=US, O=Internet Security Research Group, CN=ISRG Root X1"
        ));
        assert!(!super::is_public_root("CN=Test Root CA"));
    }
}
