//! `drown`: SSL 2.0 on this server exposes its RSA key (CVE-2016-0800).

use shared::{Finding, FindingId, Grade, ProtocolVersion, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check { name: "drown", run };

fn run(obs: &Observations) -> Vec<Finding> {
    if obs.supports(ProtocolVersion::Ssl2) != Some(true) {
        return Vec::new();
    }
    let mut f = capped(
        finding(
            FindingId::Drown,
            Severity::Critical,
            "Vulnerable to DROWN",
            "The server speaks SSL 2.0 with its RSA key, which lets an attacker decrypt even TLS 1.2 connections \
             that use the same key (CVE-2016-0800). Any other server sharing this certificate's key is exposed too.",
            "Disable SSL 2.0 on every server that uses this key, and replace the key.",
        ),
        Grade::F,
    );
    f.cve = vec!["CVE-2016-0800".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::with_support;

    #[test]
    fn follows_sslv2() {
        assert!(run(&with_support(&[ProtocolVersion::Tls12])).is_empty());
        assert_eq!(
            run(&with_support(&[
                ProtocolVersion::Ssl2,
                ProtocolVersion::Tls12
            ]))[0]
                .cve,
            ["CVE-2016-0800"]
        );
    }
}
