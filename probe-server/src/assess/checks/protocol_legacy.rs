//! `protocol-sslv2`, `protocol-sslv3`, `protocol-tls10`, `protocol-tls11`: obsolete protocol
//! versions the server still accepts.

use shared::{Finding, FindingId, Grade, ProtocolVersion, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "protocol-legacy",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let mut found = Vec::new();
    let best = obs.supported_versions().max();
    if obs.supports(ProtocolVersion::Ssl2) == Some(true) {
        found.push(capped(
            finding(
                FindingId::ProtocolSslv2,
                Severity::Critical,
                "SSL 2.0 is accepted",
                "The server speaks SSL 2.0 (1995), broken beyond repair: export-grade keys, no handshake \
                 integrity, and it exposes the server's RSA key to DROWN.",
                "Disable SSL 2.0 (OpenSSL builds since 1.1.0 cannot even enable it).",
            ),
            Grade::F,
        ));
    }
    if obs.supports(ProtocolVersion::Ssl3) == Some(true) {
        let only = best == Some(ProtocolVersion::Ssl3);
        let detail = if only {
            "SSL 3.0 is the best protocol this server speaks: every connection uses a protocol broken by POODLE \
             and deprecated since 2015 (RFC 7568)."
        } else {
            "The server still accepts SSL 3.0, deprecated since 2015 (RFC 7568); an attacker who can force a \
             downgrade gets a protocol broken by POODLE."
        };
        found.push(capped(
            finding(
                FindingId::ProtocolSslv3,
                Severity::High,
                "SSL 3.0 is accepted",
                detail,
                "Disable SSL 3.0.",
            ),
            if only { Grade::F } else { Grade::B },
        ));
    }
    for (version, id) in [
        (ProtocolVersion::Tls10, FindingId::ProtocolTls10),
        (ProtocolVersion::Tls11, FindingId::ProtocolTls11),
    ] {
        if obs.supports(version) == Some(true) {
            found.push(capped(
                finding(
                    id,
                    Severity::Medium,
                    &format!("Accepts obsolete {}", version.display_name()),
                    format!(
                        "{} is deprecated (RFC 8996, 2021) and no current browser uses it: it relies on MD5 and \
                         SHA-1 in the handshake and has no AEAD suites.",
                        version.display_name()
                    ),
                    "Disable TLS 1.0 and TLS 1.1; keep TLS 1.2 and TLS 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3).",
                ),
                Grade::B,
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::{healthy, ids, with_support};

    #[test]
    fn flags_each_legacy_version_with_its_cap() {
        assert!(run(&healthy()).is_empty());
        let obs = with_support(&[
            ProtocolVersion::Tls10,
            ProtocolVersion::Tls11,
            ProtocolVersion::Tls12,
        ]);
        assert_eq!(ids(&run(&obs)), ["protocol-tls10", "protocol-tls11"]);
        assert!(run(&obs).iter().all(|f| f.grade_cap == Some(Grade::B)));
        let obs = with_support(&[
            ProtocolVersion::Ssl2,
            ProtocolVersion::Ssl3,
            ProtocolVersion::Tls12,
        ]);
        let found = run(&obs);
        assert_eq!(ids(&found), ["protocol-sslv2", "protocol-sslv3"]);
        assert_eq!(found[0].grade_cap, Some(Grade::F));
        assert_eq!(found[1].grade_cap, Some(Grade::B));
        let only_ssl3 = run(&with_support(&[ProtocolVersion::Ssl3]));
        assert_eq!(only_ssl3[0].grade_cap, Some(Grade::F));
    }
}
