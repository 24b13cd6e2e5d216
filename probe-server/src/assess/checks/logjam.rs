//! `logjam`: export-grade DHE, or Diffie-Hellman groups of 1024 bits or less (CVE-2015-4000).

use shared::{Finding, FindingId, Grade, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::KeyExchange;

pub(super) const CHECK: Check = Check {
    name: "logjam",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let export = accepted_where(obs, |s| s.key_exchange == KeyExchange::DheExport);
    let small = obs.key_exchange.dh_min_bits.filter(|b| *b <= 1024);
    if export.is_empty() && small.is_none() {
        return Vec::new();
    }
    let mut parts = Vec::new();
    if !export.is_empty() {
        parts.push(format!(
            "it accepts export DHE suites ({})",
            describe(&export)
        ));
    }
    if let Some(bits) = small {
        parts.push(format!("its DHE suites use a {bits}-bit group"));
    }
    // Export DHE or a group under 1024 bits can be broken by anyone (F); 1024 bits by a
    // nation-state that precomputed its common primes (B, as weak DH).
    let cap = if !export.is_empty() || small.is_some_and(|b| b < 1024) {
        Grade::F
    } else {
        Grade::B
    };
    let mut f = capped(
        finding(
            FindingId::Logjam,
            if cap == Grade::F {
                Severity::Critical
            } else {
                Severity::High
            },
            "Vulnerable to Logjam",
            format!(
                "The server's Diffie-Hellman key exchange is weak enough to break: {}. An attacker can downgrade \
                 or decrypt connections (CVE-2015-4000).",
                parts.join("; ")
            ),
            "Remove export suites and use a DH group of 2048 bits or more (RFC 7919 ffdhe2048), or ECDHE only.",
        ),
        cap,
    );
    f.cve = vec!["CVE-2015-4000".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::{healthy, with_suites};

    #[test]
    fn grades_by_how_breakable_the_group_is() {
        let mut obs = healthy();
        obs.key_exchange.dh_min_bits = Some(2048);
        assert!(run(&obs).is_empty());
        obs.key_exchange.dh_min_bits = Some(1024);
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::B));
        obs.key_exchange.dh_min_bits = Some(512);
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::F));
        // TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA
        let found = run(&with_suites(ProtocolVersion::Tls10, &[0x0014]));
        assert_eq!(found[0].grade_cap, Some(Grade::F));
        assert!(found[0].detail.contains("export DHE"));
    }
}
