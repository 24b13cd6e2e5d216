//! `caa-issuer-not-allowed` and `no-caa`: the name's CAA records (RFC 8659) against the CA
//! that issued the leaf.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check { name: "caa", run };

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(dns) = &obs.policy.dns else {
        return Vec::new();
    };
    let caa = &dns.caa;
    let Some(found_at) = &caa.found_at else {
        // CAA binds publicly trusted CAs; an operator's private CA ignores it.
        let public = obs.trust.trusted
            && obs
                .trust
                .anchor
                .as_deref()
                .is_some_and(crate::pki::caa::is_public_root);
        if !public {
            return Vec::new();
        }
        return vec![finding(
            FindingId::NoCaa,
            Severity::Low,
            "No CAA records",
            format!(
                "Neither {} nor any parent name publishes CAA records, so every public CA may \
                 issue certificates for it.",
                obs.target.host
            ),
            "Publish CAA records naming the CAs you use, e.g. `example.com. CAA 0 issue \
             \"letsencrypt.org\"` (and an iodef address to hear of refused requests).",
        )];
    };
    if caa.issuer_allowed != Some(false) {
        return Vec::new();
    }
    let allowed: Vec<&str> = caa
        .records
        .iter()
        .filter(|r| r.tag.eq_ignore_ascii_case("issue") || r.tag.eq_ignore_ascii_case("issuewild"))
        .map(|r| r.value.as_str())
        .collect();
    let issuer = obs
        .leaf()
        .and_then(|l| l.summary.issuer_common_name.clone())
        .unwrap_or_else(|| "the issuing CA".into());
    vec![finding(
        FindingId::CaaIssuerNotAllowed,
        Severity::Medium,
        "CAA records do not allow the certificate's CA",
        format!(
            "The CAA records at {found_at} allow {} but the leaf was issued by {issuer} (CAA \
             identifier {}): the CA may not renew it, and it was issued before the records \
             changed or against them.",
            if allowed.is_empty() {
                "no CA".to_owned()
            } else {
                allowed.join(", ")
            },
            caa.issuer_domains.first().map_or("unknown", String::as_str),
        ),
        "Add a CAA issue record for the CA you use (or move to a CA the records allow) before \
         the next renewal.",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;
    use shared::{Caa, CaaRecord, DnsPolicy};

    fn with_caa(caa: Caa) -> Observations {
        let mut obs = healthy();
        obs.policy.dns = Some(DnsPolicy {
            caa,
            ..DnsPolicy::default()
        });
        obs
    }

    #[test]
    fn a_set_that_refuses_the_issuer_is_a_finding() {
        let caa = Caa {
            found_at: Some("good.test".into()),
            records: vec![CaaRecord {
                critical: false,
                tag: "issue".into(),
                value: "digicert.com".into(),
            }],
            issuer_domains: vec!["letsencrypt.org".into()],
            issuer_allowed: Some(false),
        };
        let found = run(&with_caa(caa.clone()));
        assert_eq!(found[0].id, FindingId::CaaIssuerNotAllowed);
        assert!(
            found[0].detail.contains("digicert.com"),
            "{}",
            found[0].detail
        );
        assert!(
            run(&with_caa(Caa {
                issuer_allowed: Some(true),
                ..caa.clone()
            }))
            .is_empty()
        );
        assert!(
            run(&with_caa(Caa {
                issuer_allowed: None,
                ..caa
            }))
            .is_empty()
        );
    }

    #[test]
    fn no_caa_is_low_for_public_trust_and_nothing_for_a_private_ca_or_without_lookup() {
        let mut obs = with_caa(Caa::default());
        assert!(
            run(&obs).is_empty(),
            "healthy() has no anchor: not a public CA"
        );
        obs.trust.anchor = Some("C=US, O=Internet Security Research Group, CN=ISRG Root X1".into());
        assert_eq!(run(&obs)[0].id, FindingId::NoCaa);
        assert_eq!(run(&obs)[0].severity, Severity::Low);
        obs.trust.trusted = false;
        assert!(run(&obs).is_empty());
        assert!(run(&healthy()).is_empty());
    }
}
