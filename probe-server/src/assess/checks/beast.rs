//! `beast`: CBC suites with TLS 1.0 or SSL 3.0 (CVE-2011-3389). Informational: browsers have
//! mitigated it client-side since 2012 (1/n-1 record splitting).

use shared::{Finding, FindingId, ProtocolVersion, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::CipherMode;

pub(super) const CHECK: Check = Check { name: "beast", run };

fn run(obs: &Observations) -> Vec<Finding> {
    let found: Vec<_> = accepted_where(obs, |s| s.mode == CipherMode::Cbc)
        .into_iter()
        .filter(|(v, _)| *v <= ProtocolVersion::Tls10)
        .collect();
    if found.is_empty() {
        return Vec::new();
    }
    let mut f = finding(
        FindingId::Beast,
        Severity::Info,
        "BEAST (TLS 1.0 CBC)",
        format!(
            "TLS 1.0 and SSL 3.0 CBC suites use predictable IVs (CVE-2011-3389); current browsers work around it, \
             old clients may not. Accepted: {}.",
            describe(&found)
        ),
        "Disable TLS 1.0 (and SSL 3.0).",
    );
    f.cve = vec!["CVE-2011-3389".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_cbc_with_tls10_as_info() {
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x002f]))[0].severity,
            Severity::Info
        );
        assert!(run(&with_suites(ProtocolVersion::Tls11, &[0x002f])).is_empty());
    }
}
