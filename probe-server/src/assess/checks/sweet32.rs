//! `sweet32`: 64-bit block ciphers (CVE-2016-2183).

use shared::{Finding, FindingId, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "sweet32",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.cipher.small_block() && !s.export);
    if found.is_empty() {
        return Vec::new();
    }
    let mut f = finding(
        FindingId::Sweet32,
        Severity::Low,
        "Vulnerable to Sweet32",
        format!(
            "Ciphers with 64-bit blocks repeat after about 32 GB, letting an attacker who makes a victim send \
             much traffic recover secrets (CVE-2016-2183). Accepted: {}.",
            describe(&found)
        ),
        "Remove 3DES, DES, IDEA and RC2 suites.",
    );
    f.cve = vec!["CVE-2016-2183".into(), "CVE-2016-6329".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_64_bit_blocks() {
        assert!(run(&with_suites(ProtocolVersion::Tls12, &[0xc02f])).is_empty());
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0x000a]))[0].cve[0],
            "CVE-2016-2183"
        );
    }
}
