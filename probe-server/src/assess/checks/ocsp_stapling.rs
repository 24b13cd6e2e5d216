//! `no-ocsp-stapling`: the server does not staple OCSP responses (informational).

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "no-ocsp-stapling",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(connection) = &obs.connection else {
        return Vec::new();
    };
    if connection.ocsp_stapled
        || obs
            .leaf()
            .is_none_or(|leaf| leaf.summary.ocsp_urls.is_empty())
    {
        // Without an OCSP URL in the certificate there is nothing to staple.
        return Vec::new();
    }
    vec![finding(
        FindingId::NoOcspStapling,
        Severity::Info,
        "No OCSP stapling",
        "The server does not staple an OCSP response, so clients that check revocation must ask the CA \
         themselves (slower, and it tells the CA who visits the site).",
        "Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on).",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn informs_only_when_there_was_something_to_staple() {
        let mut obs = healthy();
        obs.connection.as_mut().unwrap().ocsp_stapled = false;
        assert!(run(&obs).is_empty());
        obs.certificates[0]
            .summary
            .ocsp_urls
            .push("http://ocsp.test".into());
        assert_eq!(run(&obs)[0].severity, Severity::Info);
        assert_eq!(run(&obs)[0].grade_cap, None);
    }
}
