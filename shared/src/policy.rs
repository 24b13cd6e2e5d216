//! What a site asks of clients and CAs beyond the handshake: its DNS records that bear on
//! TLS (CAA, HTTPS/SVCB), its place on Chromium's HSTS preload list, and its leaf's OCSP
//! Must-Staple. Added in schema 1.3 (`Report::policy`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The site's policy facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Policy {
    /// The DNS records of the name. Null when they were not looked up: an IP address was
    /// scanned, `--connect-to` maps the name (tests' invented names are never asked of real
    /// DNS), the scan was quick, or DNS failed (see `errors`, step "dns-policy").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsPolicy>,
    /// The name on the bundled copy of Chromium's HSTS preload list. Null for an IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsts_preload: Option<HstsPreload>,
    /// The leaf certificate carries the TLS Feature extension with status_request (RFC 7633,
    /// "OCSP Must-Staple"): clients that honour it (Firefox) refuse a handshake without a
    /// stapled OCSP response.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_staple: bool,
}

/// The DNS records that bear on TLS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DnsPolicy {
    pub caa: Caa,
    /// The name's HTTPS records (RFC 9460), lowest priority first; empty when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub https: Vec<HttpsRecord>,
    /// An HTTPS record in service mode carries an `ech` config list: the site advertises
    /// Encrypted Client Hello.
    #[serde(default)]
    pub ech_advertised: bool,
}

/// The CAA record set that governs the name (RFC 8659: the host's own set, or else the
/// closest parent's).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Caa {
    /// The name the set was found at; null when neither the name nor any parent has CAA
    /// records (then every CA may issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_at: Option<String>,
    /// The records of that set, as published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<CaaRecord>,
    /// The CAA identifiers (issuer domain names) of the CA that issued the leaf, when this
    /// probe knows that CA; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issuer_domains: Vec<String>,
    /// Whether the set allows the leaf's issuer to issue it (`issue`, or `issuewild` for a
    /// wildcard leaf). Null when there is no set, no leaf, or the issuer's CAA identifier is
    /// unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_allowed: Option<bool>,
}

/// One CAA record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CaaRecord {
    /// The issuer-critical flag: a CA that does not understand the tag must not issue.
    #[serde(default)]
    pub critical: bool,
    /// "issue", "issuewild", "iodef", "issuemail", or another tag.
    pub tag: String,
    /// The value as published (text).
    pub value: String,
}

/// One HTTPS record (RFC 9460).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HttpsRecord {
    /// 0: alias mode (`target` names another name to ask); otherwise service mode, lower
    /// first.
    pub priority: u16,
    /// The target name ("." for the name itself).
    pub target: String,
    /// The ALPN protocols advertised ("h2", "h3", ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// Another port than the scanned one, when the record names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The record carries an ECH config list.
    #[serde(default)]
    pub ech: bool,
}

/// The name on Chromium's HSTS preload list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HstsPreload {
    /// The name is preloaded, itself or through a parent entry with include_subdomains.
    pub listed: bool,
    /// The entry that covers it (the name or a parent); null when not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The covering entry includes subdomains.
    #[serde(default)]
    pub include_subdomains: bool,
    /// Which copy of the list was asked, and from where it came.
    pub list_source: String,
    /// The date of that copy (YYYY-MM-DD): a name preloaded since is not on it.
    pub list_date: String,
}
