//! `cipher-export`: export-grade suites (40/56-bit ciphers, 512-bit key exchange).

use shared::{Finding, FindingId, Grade, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cipher-export",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.export);
    if found.is_empty() {
        return Vec::new();
    }
    vec![capped(
        finding(
            FindingId::CipherExport,
            Severity::Critical,
            "Accepts export-grade suites",
            format!(
                "The server accepts suites crippled for 1990s export rules (40- or 56-bit keys, 512-bit key \
                 exchange), breakable in hours: {}.",
                describe(&found)
            ),
            "Remove export suites (OpenSSL: add !EXPORT to the cipher string; OpenSSL 1.1.0 and later have none).",
        ),
        Grade::F,
    )]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_export_suites() {
        assert!(run(&with_suites(ProtocolVersion::Tls10, &[0x002f])).is_empty());
        // TLS_RSA_EXPORT_WITH_RC4_40_MD5
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls10, &[0x0003]))[0].grade_cap,
            Some(Grade::F)
        );
    }
}
