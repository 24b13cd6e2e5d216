//! How the server measures up to a published server-side TLS guideline: TLSRef's (formerly
//! Mozilla's "Server Side TLS") profiles, each a complete configuration a server can copy.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The server checked against every profile of one guideline version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Compliance {
    /// The guideline and its version, as people name it ("TLSRef 6.0").
    pub guideline: String,
    /// The guideline's version alone ("6.0").
    pub version: String,
    /// Where the guideline's data was read (the published JSON, by URL).
    pub source: String,
    /// One entry per profile, strictest first ("modern", then "intermediate").
    pub profiles: Vec<ProfileCompliance>,
}

/// The server against one profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileCompliance {
    /// The profile's name in the guideline ("modern", "intermediate").
    pub profile: String,
    /// True only when every requirement was checked and met: a requirement that could not be
    /// checked (see `not_checked`) never passes.
    pub compliant: bool,
    /// Every requirement the server does not meet, each with the facts and the fix.
    pub deviations: Vec<Deviation>,
    /// Requirements this scan could not check (a test failed or did not run), each with why.
    /// (The same shape as `notes`: one type fewer keeps the extension's wasm small.)
    pub not_checked: Vec<ComplianceNote>,
    /// What the profile recommends beyond its requirements, and requirements that do not
    /// apply to this server. They do not change `compliant`.
    pub notes: Vec<ComplianceNote>,
    /// The oldest clients a server configured exactly as the profile still serves.
    pub oldest_clients: Vec<String>,
}

/// One requirement the server does not meet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Deviation {
    /// Which requirement, a stable kebab-case id: "tls-version", "tls12-suites",
    /// "tls13-suites", "groups", "ecdh-size", "dh-size", "certificate-type",
    /// "certificate-curve", "certificate-signature", "rsa-key-size", "certificate-lifespan",
    /// "ocsp-stapling", "hsts-max-age".
    pub what: String,
    /// The exact facts: what the server does and what the profile asks.
    pub detail: String,
    /// What to change.
    pub fix: String,
}

/// A remark on one requirement: why it could not be checked (in `not_checked`), or what the
/// profile recommends beyond it (in `notes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ComplianceNote {
    /// Which requirement (the ids of `Deviation::what`, or "server-preferred-order").
    pub what: String,
    /// Why it could not be checked, or the remark with its advice.
    pub detail: String,
}

/// The verdict on one profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComplianceVerdict {
    /// Every requirement checked and met.
    Compliant,
    /// At least one requirement not met.
    Deviates,
    /// Nothing failed, but some requirement could not be checked.
    Unknown,
}

impl ProfileCompliance {
    /// The verdict the fields add up to.
    pub fn verdict(&self) -> ComplianceVerdict {
        if !self.deviations.is_empty() {
            ComplianceVerdict::Deviates
        } else if self.compliant {
            ComplianceVerdict::Compliant
        } else {
            ComplianceVerdict::Unknown
        }
    }
}

impl Compliance {
    /// The entry for `profile`, if the guideline has it.
    pub fn profile(&self, profile: &str) -> Option<&ProfileCompliance> {
        self.profiles.iter().find(|p| p.profile == profile)
    }
}
