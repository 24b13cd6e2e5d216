//! The guideline's facts: a versioned data file (`probe-server/data/tlsref-6.0.toml`), compiled
//! in and read once. Names are resolved against the IANA registries here, so that a typo in
//! the data file fails a unit test instead of silently passing every server.

use std::sync::LazyLock;

use serde::Deserialize;
use shared::ProtocolVersion;

use crate::iana::{cipher_suites, groups};

/// The data file of the guideline version in force.
const DATA: &str = include_str!("../../../data/tlsref-6.0.toml");

/// The guideline in force, parsed at first use.
pub(crate) fn current() -> &'static Guideline {
    static CURRENT: LazyLock<Guideline> = LazyLock::new(|| {
        Guideline::parse(DATA).unwrap_or_else(|e| {
            panic!("the compiled-in guideline is invalid (its test says why): {e}")
        })
    });
    &CURRENT
}

/// Why a guideline data file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GuidelineError {
    #[error("not valid guideline TOML: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("profile {profile}: {name} is not a TLS 1.2 (or older) suite of the IANA registry")]
    UnknownTls12Suite { profile: String, name: String },
    #[error("profile {profile}: {name} is not a TLS 1.3 suite of the IANA registry")]
    UnknownTls13Suite { profile: String, name: String },
    #[error("profile {profile}: {name} is not a group of the IANA registry")]
    UnknownGroup { profile: String, name: String },
}

/// One version of the guideline.
#[derive(Debug, Clone)]
pub(crate) struct Guideline {
    /// "TLSRef".
    pub name: String,
    /// "6.0".
    pub version: String,
    /// Where the facts were read.
    pub source: String,
    pub profiles: Vec<Profile>,
}

/// A certificate key type a profile allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CertificateType {
    Ecdsa,
    Rsa,
}

impl CertificateType {
    /// The guideline's name ("ecdsa", "rsa").
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Ecdsa => "ecdsa",
            Self::Rsa => "rsa",
        }
    }
}

/// One profile ("modern", "intermediate"), its names resolved to IANA code points.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub name: String,
    /// The protocol versions it allows, and asks for.
    pub tls_versions: Vec<ProtocolVersion>,
    /// Suites for TLS 1.2 and below, as registry entries.
    pub tls12_suites: Vec<&'static cipher_suites::CipherSuiteInfo>,
    /// Suites for TLS 1.3.
    pub tls13_suites: Vec<&'static cipher_suites::CipherSuiteInfo>,
    /// Key-exchange groups, in the profile's order.
    pub groups: Vec<&'static groups::GroupInfo>,
    pub certificate_types: Vec<CertificateType>,
    /// Curves of ECDSA certificate keys (SEC 2 names, as the report writes them).
    pub certificate_curves: Vec<String>,
    /// Signature algorithms of the certificate (OpenSSL names, as the report writes them).
    pub certificate_signatures: Vec<String>,
    /// Smallest RSA certificate key; `None` where RSA certificates are not allowed at all.
    pub rsa_min_bits: Option<u32>,
    /// Smallest finite-field DH group; `None` where finite-field DH is not used at all.
    pub dh_min_bits: Option<u16>,
    /// Smallest elliptic-curve group, in bits of the field.
    pub ecdh_min_bits: u16,
    /// Smallest HSTS max-age, in seconds.
    pub hsts_min_age: u64,
    /// Longest certificate validity, in days.
    pub certificate_max_days: i64,
    /// The validity the profile recommends, in days.
    pub certificate_recommended_days: i64,
    /// The server should staple OCSP responses.
    pub ocsp_staple: bool,
    /// The server should enforce its own suite order.
    pub server_preferred_order: bool,
    pub oldest_clients: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuideline {
    guideline: String,
    version: String,
    source: String,
    #[allow(dead_code)] // Provenance, for people reading the file.
    source_commit: String,
    #[allow(dead_code)]
    retrieved: String,
    profiles: Vec<RawProfile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    tls_versions: Vec<ProtocolVersion>,
    tls12_suites: Vec<String>,
    tls13_suites: Vec<String>,
    groups: Vec<String>,
    certificate_types: Vec<CertificateType>,
    certificate_curves: Vec<String>,
    certificate_signatures: Vec<String>,
    rsa_min_bits: Option<u32>,
    dh_min_bits: Option<u16>,
    ecdh_min_bits: u16,
    hsts_min_age: u64,
    certificate_max_days: i64,
    certificate_recommended_days: i64,
    ocsp_staple: bool,
    server_preferred_order: bool,
    oldest_clients: Vec<String>,
}

impl Guideline {
    /// Reads a guideline data file, resolving every suite and group name.
    pub(crate) fn parse(text: &str) -> Result<Self, GuidelineError> {
        let raw: RawGuideline = toml::from_str(text)?;
        let profiles = raw
            .profiles
            .into_iter()
            .map(Profile::resolve)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            name: raw.guideline,
            version: raw.version,
            source: raw.source,
            profiles,
        })
    }

    /// "TLSRef 6.0".
    pub(crate) fn title(&self) -> String {
        format!("{} {}", self.name, self.version)
    }
}

impl Profile {
    fn resolve(raw: RawProfile) -> Result<Self, GuidelineError> {
        let profile = raw.name.clone();
        let suites = |names: &[String], tls13: bool| {
            names
                .iter()
                .map(|name| {
                    cipher_suites::by_name(name)
                        .filter(|s| s.allowed_in(ProtocolVersion::Tls13) == tls13)
                        .ok_or_else(|| {
                            let (profile, name) = (profile.clone(), name.clone());
                            if tls13 {
                                GuidelineError::UnknownTls13Suite { profile, name }
                            } else {
                                GuidelineError::UnknownTls12Suite { profile, name }
                            }
                        })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let tls12_suites = suites(&raw.tls12_suites, false)?;
        let tls13_suites = suites(&raw.tls13_suites, true)?;
        let groups = raw
            .groups
            .iter()
            .map(|name| {
                groups::by_name(name).ok_or_else(|| GuidelineError::UnknownGroup {
                    profile: profile.clone(),
                    name: name.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            name: raw.name,
            tls_versions: raw.tls_versions,
            tls12_suites,
            tls13_suites,
            groups,
            certificate_types: raw.certificate_types,
            certificate_curves: raw.certificate_curves,
            certificate_signatures: raw.certificate_signatures,
            rsa_min_bits: raw.rsa_min_bits,
            dh_min_bits: raw.dh_min_bits,
            ecdh_min_bits: raw.ecdh_min_bits,
            hsts_min_age: raw.hsts_min_age,
            certificate_max_days: raw.certificate_max_days,
            certificate_recommended_days: raw.certificate_recommended_days,
            ocsp_staple: raw.ocsp_staple,
            server_preferred_order: raw.server_preferred_order,
            oldest_clients: raw.oldest_clients,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_guideline_parses_with_every_name_known() {
        let g = Guideline::parse(DATA).expect("valid");
        assert_eq!(g.title(), "TLSRef 6.0");
        let names: Vec<&str> = g.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["modern", "intermediate"],
            "6.0 has no \"old\" profile"
        );
        let modern = &g.profiles[0];
        assert_eq!(modern.tls_versions, [ProtocolVersion::Tls13]);
        assert!(modern.tls12_suites.is_empty());
        assert_eq!(modern.rsa_min_bits, None);
        let intermediate = &g.profiles[1];
        assert_eq!(
            intermediate.tls_versions,
            [ProtocolVersion::Tls12, ProtocolVersion::Tls13]
        );
        let ids: Vec<u16> = intermediate.tls12_suites.iter().map(|s| s.id).collect();
        assert_eq!(ids, [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8]);
        let groups: Vec<u16> = intermediate.groups.iter().map(|g| g.id).collect();
        assert_eq!(groups, [0x11ec, 0x001d, 0x0017, 0x0018]);
        assert_eq!(
            (intermediate.rsa_min_bits, intermediate.dh_min_bits),
            (Some(2048), Some(2048))
        );
        assert_eq!(current().version, "6.0");
    }

    #[test]
    fn a_misspelt_name_is_refused() {
        let bad = DATA.replace("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA385");
        assert!(matches!(
            Guideline::parse(&bad),
            Err(GuidelineError::UnknownTls13Suite { .. })
        ));
        let bad = DATA.replace("\"x25519\"", "\"x25518\"");
        assert!(matches!(
            Guideline::parse(&bad),
            Err(GuidelineError::UnknownGroup { .. })
        ));
        // A TLS 1.2 suite in the TLS 1.3 list is as wrong as a misspelling.
        let bad = DATA.replacen(
            "tls13_suites = [\"TLS_AES_128_GCM_SHA256\"",
            "tls13_suites = [\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"",
            1,
        );
        assert!(matches!(
            Guideline::parse(&bad),
            Err(GuidelineError::UnknownTls13Suite { .. })
        ));
        assert!(matches!(
            Guideline::parse("version = 6"),
            Err(GuidelineError::Syntax(_))
        ));
    }
}
