//! `tls-compression`: TLS-level compression (CRIME, CVE-2012-4929).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "tls-compression",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    if obs.features.compression != Some(true) {
        return Vec::new();
    }
    let mut f = capped(
        finding(
            FindingId::TlsCompression,
            Severity::High,
            "TLS compression is enabled (CRIME)",
            "The server compresses TLS records, so the size of a request leaks whether a guess matches a secret \
             in it: an attacker recovers cookies byte by byte (CVE-2012-4929).",
            "Disable TLS compression (OpenSSL: SSL_OP_NO_COMPRESSION; builds since 1.1.0 disable it by default).",
        ),
        Grade::C,
    );
    f.cve = vec!["CVE-2012-4929".into()];
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn follows_the_feature() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.features.compression = Some(true);
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::C));
    }
}
