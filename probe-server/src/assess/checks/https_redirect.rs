//! `no-https-redirect`: plain HTTP on port 80 serves the site instead of redirecting.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "https-redirect",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(plain) = obs.http.as_ref().and_then(|h| h.plain_http.as_ref()) else {
        return Vec::new();
    };
    if plain.redirects_to_https {
        return Vec::new();
    }
    let answer = match &plain.location {
        Some(location) => format!("redirects to {location}, not to an https:// URL"),
        None => format!(
            "answers with status {} instead of a redirect to HTTPS",
            plain.status
        ),
    };
    vec![finding(
        FindingId::NoHttpsRedirect,
        Severity::Low,
        "Plain HTTP does not redirect to HTTPS",
        format!(
            "Port 80 {answer}, so visitors who type the name without https:// stay unencrypted."
        ),
        "Answer every plain-HTTP request with a 301 redirect to the same URL on https://.",
    )]
}

#[cfg(test)]
mod tests {
    use shared::PlainHttp;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn flags_plain_http_that_stays_plain() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.http.as_mut().unwrap().plain_http = Some(PlainHttp {
            status: 200,
            location: None,
            redirects_to_https: false,
        });
        assert!(run(&obs)[0].detail.contains("status 200"));
        obs.http.as_mut().unwrap().plain_http = None;
        assert!(run(&obs).is_empty(), "nothing on port 80 is fine");
    }
}
