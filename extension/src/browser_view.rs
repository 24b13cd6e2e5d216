//! What this browser saw of the site, next to what the probe saw. Firefox's
//! `webRequest.getSecurityInfo()` gives the connection the browser itself made (protocol,
//! cipher, key-exchange group, the certificate chain with fingerprints). When the leaf the
//! browser received is none of the leaves the probe saw for that name (on every endpoint), a
//! TLS interception proxy, antivirus, captive portal or a compromised network is between this
//! browser and the site; when the browser negotiated an older protocol than the site offers,
//! something (an old browser, a policy) holds it back.

use serde::{Deserialize, Serialize};
use shared::{ProtocolVersion, Report};

/// The browser's own connection to the page, as the worker kept it from `getSecurityInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserSaw {
    /// The site (`host` or `host:port`) of the page.
    pub site: String,
    /// "TLSv1.3", "TLSv1.2", … as Firefox writes it.
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub cipher: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    /// SHA-256 of the leaf, in any of the usual spellings (`AB:CD:…` in Firefox).
    #[serde(default)]
    pub leaf_sha256: Option<String>,
    /// The issuer of the leaf the browser was shown (its distinguished name).
    #[serde(default)]
    pub issuer: Option<String>,
}

/// What the popup knows of this browser's own connection to the page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BrowserSide {
    /// Not looked up (yet).
    #[default]
    Unknown,
    /// Chromium: it gives add-ons no access to its own connections.
    NeedsFirefox,
    /// Firefox, and the person has not granted the permissions for this site.
    NeedsPermission,
    /// Granted, but the page was loaded before: a reload lets the browser show it.
    NeedsReload,
    /// What the browser saw.
    Saw(BrowserSaw),
}

/// The comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// The browser's leaf is one the probe saw.
    Same,
    /// The browser received another certificate than any the probe saw for the name.
    OtherCertificate { issuer: Option<String> },
}

/// Lowercase hex without separators.
fn normalise(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Every leaf the probe saw for the name: the report's own and each endpoint's.
fn probe_leaves(report: &Report) -> Vec<String> {
    report
        .certificates
        .first()
        .map(|c| c.sha256_fingerprint.as_str())
        .into_iter()
        .chain(
            report
                .endpoints
                .iter()
                .filter_map(|e| e.leaf_sha256.as_deref()),
        )
        .map(normalise)
        .collect()
}

/// Compares the browser's leaf with the probe's; `None` when either side has none.
pub fn compare(saw: &BrowserSaw, report: &Report) -> Option<Comparison> {
    let leaf = normalise(saw.leaf_sha256.as_deref()?);
    let leaves = probe_leaves(report);
    if leaf.is_empty() || leaves.is_empty() {
        return None;
    }
    Some(if leaves.contains(&leaf) {
        Comparison::Same
    } else {
        Comparison::OtherCertificate {
            issuer: saw.issuer.clone(),
        }
    })
}

/// When the browser negotiated an older protocol than the best the site offers: the
/// sentence that says so.
pub fn weaker_protocol(saw: &BrowserSaw, report: &Report) -> Option<String> {
    let browser = ProtocolVersion::ALL
        .iter()
        .find(|v| Some(v.as_str()) == saw.protocol.as_deref())?;
    let best = report
        .protocols
        .iter()
        .filter(|p| p.supported == Some(true))
        .map(|p| p.version)
        .max()?;
    (*browser < best).then(|| {
        format!(
            "This browser negotiated {}, though the site offers {}: an old browser or a policy \
             holds it back.",
            browser.as_str(),
            best.as_str()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::tests::fixture;

    fn saw_of(report: &Report) -> BrowserSaw {
        let leaf = &report.certificates[0];
        // Firefox's spelling: uppercase pairs joined by colons.
        let colons = leaf
            .sha256_fingerprint
            .to_ascii_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":");
        BrowserSaw {
            site: "strong.test".to_owned(),
            protocol: Some("TLSv1.3".to_owned()),
            cipher: Some("TLS_AES_128_GCM_SHA256".to_owned()),
            group: Some("x25519".to_owned()),
            leaf_sha256: Some(colons),
            issuer: Some(leaf.issuer.clone()),
        }
    }

    #[test]
    fn the_same_leaf_in_any_spelling_matches() {
        let report = fixture("strong-a-plus");
        assert_eq!(compare(&saw_of(&report), &report), Some(Comparison::Same));
    }

    #[test]
    fn another_leaf_names_the_issuer_the_browser_was_shown() {
        let report = fixture("strong-a-plus");
        let mut saw = saw_of(&report);
        saw.leaf_sha256 = Some("00".repeat(32));
        saw.issuer = Some("CN=Corporate Inspection CA".to_owned());
        assert_eq!(
            compare(&saw, &report),
            Some(Comparison::OtherCertificate {
                issuer: Some("CN=Corporate Inspection CA".to_owned())
            })
        );
        saw.leaf_sha256 = None;
        assert_eq!(compare(&saw, &report), None);
    }

    #[test]
    fn a_leaf_of_another_endpoint_of_the_name_matches() {
        let mut report = fixture("strong-a-plus");
        let mut saw = saw_of(&report);
        let other = "ab".repeat(32);
        saw.leaf_sha256 = Some(other.clone());
        assert!(matches!(
            compare(&saw, &report),
            Some(Comparison::OtherCertificate { .. })
        ));
        report.endpoints.push(shared::EndpointResult {
            ip: "192.0.2.7".parse().expect("ip"),
            grade: None,
            error: None,
            leaf_sha256: Some(other),
            protocols: Vec::new(),
            cipher_suites: 0,
            finding_ids: Vec::new(),
            other_chain_leaves: Vec::new(),
        });
        assert_eq!(compare(&saw, &report), Some(Comparison::Same));
    }

    #[test]
    fn an_older_protocol_than_the_site_offers_is_named() {
        let report = fixture("strong-a-plus");
        let mut saw = saw_of(&report);
        assert_eq!(weaker_protocol(&saw, &report), None);
        saw.protocol = Some("TLSv1.2".to_owned());
        let text = weaker_protocol(&saw, &report).expect("weaker");
        assert!(
            text.contains("TLSv1.2") && text.contains("TLSv1.3"),
            "{text}"
        );
    }
}
