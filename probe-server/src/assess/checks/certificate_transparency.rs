//! `ct-policy-not-met` and `ct-invalid-sct`: the leaf's SCTs (verified by `pki::ct`)
//! against Chrome's and Apple's CT policies, and SCTs whose signature a known log did not
//! make.

use shared::{Finding, FindingId, SctSignature, SctSource, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "certificate-transparency",
    run,
};

fn source_name(source: SctSource) -> &'static str {
    match source {
        SctSource::Embedded => "embedded in the certificate",
        SctSource::TlsExtension => "in the TLS extension",
        SctSource::Ocsp => "in the stapled OCSP response",
    }
}

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(ct) = &obs.ct else {
        return Vec::new();
    };
    let mut found = Vec::new();
    // The policies are judged only for publicly trusted chains (`chrome`/`apple` are null
    // for an operator's private CA), and only when the chain is trusted at all: an
    // untrusted chain has its own, worse finding.
    let failing: Vec<(&str, &shared::CtPolicyVerdict)> =
        [("Chrome", &ct.chrome), ("Apple", &ct.apple)]
            .into_iter()
            .filter_map(|(name, verdict)| verdict.as_ref().map(|v| (name, v)))
            .filter(|(_, v)| !v.met)
            .collect();
    if obs.trust.trusted && !failing.is_empty() {
        let browsers: Vec<&str> = failing.iter().map(|(name, _)| *name).collect();
        let detail = failing
            .iter()
            .map(|(name, v)| format!("{name}: {}", v.detail))
            .collect::<Vec<_>>()
            .join(". ");
        found.push(finding(
            FindingId::CtPolicyNotMet,
            Severity::High,
            "Not enough Certificate Transparency",
            format!(
                "The certificate does not meet {}'s CT policy, so {} refuse it as if it were \
                 untrusted. {detail}. (Log list {} of {}: SCTs from logs newer than it count as \
                 unknown.)",
                browsers.join(" and "),
                if browsers.len() == 1 {
                    "that browser's users"
                } else {
                    "their users"
                },
                ct.log_list.version,
                ct.log_list.timestamp,
            ),
            "Have the CA embed SCTs from enough logs (it does this for any certificate it \
             issues today: reissue the certificate), or serve SCTs from two logs of different \
             operators in the TLS extension or the stapled OCSP response.",
        ));
    }
    let invalid: Vec<String> = ct
        .scts
        .iter()
        .filter(|s| s.signature == SctSignature::Invalid)
        .map(|s| {
            format!(
                "{} ({})",
                s.log_name.as_deref().unwrap_or(&s.log_id),
                source_name(s.source)
            )
        })
        .collect();
    if !invalid.is_empty() {
        found.push(finding(
            FindingId::CtInvalidSct,
            Severity::Medium,
            "An SCT's signature does not verify",
            format!(
                "The SCT from {} does not verify against the log's key: it was made for \
                 another certificate (a reissued certificate served with the old SCTs, or \
                 SCTs configured for the wrong certificate) or corrupted, and browsers ignore it.",
                invalid.join(", ")
            ),
            "Serve the SCTs the logs returned for this exact certificate (update the \
             server's SCT or serverinfo file, or the OCSP response, when the certificate \
             changes).",
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;
    use shared::{CertificateTransparency, CtLogList, CtPolicyVerdict, Sct};

    fn ct(met: Option<bool>, signature: SctSignature) -> CertificateTransparency {
        let verdict = met.map(|met| CtPolicyVerdict {
            met,
            detail: "embedded: 1 valid SCT".into(),
        });
        CertificateTransparency {
            log_list: CtLogList {
                version: "89.30".into(),
                timestamp: "2026-08-25T13:35:26Z".into(),
                logs: 20,
            },
            scts: vec![Sct {
                source: SctSource::Embedded,
                log_id: "AAAA".into(),
                log_name: Some("Google 'Argon2026h2' log".into()),
                log_operator: Some("Google".into()),
                timestamp: "2026-11-01T00:00:00Z".into(),
                signature,
            }],
            tls_extension_checked: true,
            chrome: verdict.clone(),
            apple: verdict,
        }
    }

    fn ids(obs: &Observations) -> Vec<FindingId> {
        run(obs).into_iter().map(|f| f.id).collect()
    }

    #[test]
    fn a_public_leaf_short_of_the_policies_is_found() {
        let mut obs = healthy();
        obs.ct = Some(ct(Some(false), SctSignature::Valid));
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, FindingId::CtPolicyNotMet);
        assert!(
            found[0].detail.contains("Chrome and Apple"),
            "{}",
            found[0].detail
        );
        assert!(found[0].detail.contains("2026-08-25"));
    }

    #[test]
    fn a_private_ca_an_untrusted_chain_or_a_met_policy_is_not() {
        let mut obs = healthy();
        obs.ct = Some(ct(None, SctSignature::Valid));
        assert!(ids(&obs).is_empty(), "private CA: policies not judged");
        obs.ct = Some(ct(Some(true), SctSignature::Valid));
        assert!(ids(&obs).is_empty());
        obs.ct = Some(ct(Some(false), SctSignature::Valid));
        obs.trust.trusted = false;
        assert!(ids(&obs).is_empty(), "untrusted has its own finding");
        obs.ct = None;
        assert!(ids(&obs).is_empty());
    }

    #[test]
    fn an_invalid_sct_is_found_and_an_unknown_log_is_not() {
        let mut obs = healthy();
        obs.ct = Some(ct(Some(true), SctSignature::Invalid));
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, FindingId::CtInvalidSct);
        assert!(found[0].detail.contains("Argon2026h2"));
        obs.ct = Some(ct(Some(true), SctSignature::UnknownLog));
        assert!(ids(&obs).is_empty());
    }
}
