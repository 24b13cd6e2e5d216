//! `freak`: export RSA key exchange (CVE-2015-0204).

use shared::{Finding, FindingId, Grade, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::KeyExchange;

pub(super) const CHECK: Check = Check { name: "freak", run };

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.key_exchange == KeyExchange::RsaExport);
    if found.is_empty() {
        return Vec::new();
    }
    let mut f = capped(
        finding(
            FindingId::Freak,
            Severity::Critical,
            "Vulnerable to FREAK",
            format!(
                "The server accepts export RSA suites, so an attacker can make vulnerable clients use a 512-bit \
                 RSA key that is factored in hours (CVE-2015-0204). Accepted: {}.",
                describe(&found)
            ),
            "Remove every EXPORT suite.",
        ),
        Grade::F,
    );
    f.cve = vec!["CVE-2015-0204".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_export_rsa_only() {
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x0003]))[0].grade_cap,
            Some(Grade::F)
        );
        assert!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x0014])).is_empty(),
            "export DHE is Logjam"
        );
    }
}
