//! `no-hsts` and `hsts-short`: HTTP Strict Transport Security, which stops a network attacker
//! from downgrading a visitor to plain HTTP.

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check { name: "hsts", run };

/// 180 days: the rating guide's minimum max-age for A+.
pub(crate) const HSTS_MIN_MAX_AGE: u64 = 180 * 24 * 60 * 60;

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(http) = &obs.http else {
        return Vec::new();
    };
    if http.https_status.is_none() {
        return Vec::new();
    }
    const FIX: &str = "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS \
                       response (nginx: add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always).";
    match &http.hsts {
        None => vec![capped(
            finding(
                FindingId::NoHsts,
                Severity::Medium,
                "No HTTP Strict Transport Security",
                "The site sends no Strict-Transport-Security header, so browsers will still try plain HTTP and a \
                 network attacker can strip TLS from a visitor's first request.",
                FIX,
            ),
            Grade::AMinus,
        )],
        Some(hsts) => match hsts.max_age {
            None => vec![capped(
                finding(
                    FindingId::NoHsts,
                    Severity::Medium,
                    "Invalid HTTP Strict Transport Security header",
                    format!(
                        "The header {:?} has no valid max-age, so browsers ignore it.",
                        hsts.raw
                    ),
                    FIX,
                ),
                Grade::AMinus,
            )],
            Some(0) => vec![capped(
                finding(
                    FindingId::NoHsts,
                    Severity::Medium,
                    "HTTP Strict Transport Security is switched off",
                    "The header sets max-age=0, which tells browsers to forget the site's HSTS policy.",
                    FIX,
                ),
                Grade::AMinus,
            )],
            Some(age) if age < HSTS_MIN_MAX_AGE => vec![capped(
                finding(
                    FindingId::HstsShort,
                    Severity::Low,
                    "HTTP Strict Transport Security is too short",
                    format!(
                        "max-age is {age} seconds ({} days); at least 180 days is needed for the policy to protect \
                         visitors between visits.",
                        age / 86_400
                    ),
                    FIX,
                ),
                Grade::A,
            )],
            Some(_) => Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::{healthy, ids};
    use crate::verified::http::parse_hsts;

    fn with(header: Option<&str>) -> Vec<Finding> {
        let mut obs = healthy();
        obs.http.as_mut().unwrap().hsts = header.map(parse_hsts);
        run(&obs)
    }

    #[test]
    fn judges_the_header() {
        assert!(with(Some("max-age=15552000")).is_empty());
        assert_eq!(ids(&with(Some("max-age=15551999"))), ["hsts-short"]);
        assert_eq!(with(Some("max-age=86400"))[0].grade_cap, Some(Grade::A));
        assert_eq!(ids(&with(None)), ["no-hsts"]);
        assert_eq!(with(None)[0].grade_cap, Some(Grade::AMinus));
        assert_eq!(ids(&with(Some("max-age=0"))), ["no-hsts"]);
        assert_eq!(ids(&with(Some("includeSubDomains"))), ["no-hsts"]);
    }

    #[test]
    fn says_nothing_when_http_was_not_checked() {
        let mut obs = healthy();
        obs.http = None;
        assert!(run(&obs).is_empty());
    }
}
