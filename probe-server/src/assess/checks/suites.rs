//! Helpers the cipher-suite checks share: which accepted suites match a property (judged
//! from the IANA registry entry, not by parsing names), and how to list them.

use std::collections::BTreeMap;

use shared::{CipherSuite, ProtocolVersion};

use crate::assess::observations::Observations;
use crate::iana::cipher_suites::{self, CipherSuiteInfo};

/// Accepted suites (with their version) whose registry entry satisfies `pred`.
pub(super) fn accepted_where(
    obs: &Observations,
    pred: impl Fn(&CipherSuiteInfo) -> bool,
) -> Vec<(ProtocolVersion, &CipherSuite)> {
    obs.accepted_suites()
        .filter(|(_, s)| cipher_suites::by_id(s.id).is_some_and(&pred))
        .collect()
}

/// "TLS_RSA_WITH_RC4_128_SHA (TLS 1.0, TLS 1.2), TLS_…", each suite once.
pub(super) fn describe(found: &[(ProtocolVersion, &CipherSuite)]) -> String {
    let mut by_suite: BTreeMap<&str, Vec<ProtocolVersion>> = BTreeMap::new();
    for (version, suite) in found {
        let versions = by_suite.entry(suite.name.as_str()).or_default();
        if !versions.contains(version) {
            versions.push(*version);
        }
    }
    let listed: Vec<String> = by_suite
        .iter()
        .take(8)
        .map(|(name, versions)| {
            let v: Vec<&str> = versions.iter().map(|v| v.display_name()).collect();
            format!("{name} ({})", v.join(", "))
        })
        .collect();
    let more = by_suite.len().saturating_sub(8);
    if more > 0 {
        format!("{} and {more} more", listed.join(", "))
    } else {
        listed.join(", ")
    }
}
