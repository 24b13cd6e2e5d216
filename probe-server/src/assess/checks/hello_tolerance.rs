//! SSL Labs' "Protocol details": hellos of unusual form the server refuses (a newer version,
//! an unknown extension, a long hello, many suites, an OCSP request), an unrecognized_name
//! alert for an unknown host, a HelloRetryRequest for a group never offered, and a suite the
//! negotiated version does not define. Each finding says which clients it breaks.

use shared::{Finding, FindingId, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "hello-tolerance",
    run,
};

/// One kind of quirk: its id, severity, title, what it breaks, and the fix.
struct Quirk {
    id: FindingId,
    severity: Severity,
    title: &'static str,
    breaks: &'static str,
    fix: &'static str,
}

const VERSION: Quirk = Quirk {
    id: FindingId::VersionIntolerance,
    severity: Severity::Medium,
    title: "The server refuses hellos offering newer versions",
    breaks: "A client offering a version the server does not know must be answered with the \
             server's best version (RFC 5246 E.1); this server refuses instead, so clients that \
             offer a newer version in client_version fail or fall back to weaker versions, the \
             behaviour that made browsers add insecure version fallback.",
    fix: "Update the TLS stack or the appliance in front of it so that it negotiates its best \
          version whatever higher version a client offers.",
};

const EXTENSION: Quirk = Quirk {
    id: FindingId::ExtensionIntolerance,
    severity: Severity::Medium,
    title: "The server refuses hellos with unknown extensions",
    breaks: "Servers must ignore extensions they do not know (RFC 5246 7.4.1.4, RFC 8446 4.1.2); \
             Chrome and Edge send GREASE extensions in every hello, and every new extension \
             (post-quantum key shares, ECH) reaches servers unknown: those clients fail.",
    fix: "Update the TLS stack or the middlebox that inspects hellos so that it ignores \
          unknown extensions.",
};

const LONG: Quirk = Quirk {
    id: FindingId::LongHelloIntolerance,
    severity: Severity::Medium,
    title: "The server refuses long hellos",
    breaks: "Current browsers send hellos of 500 to 1,800 bytes (post-quantum key shares make \
             them longer still); old F5 BIG-IP devices hang on 256 to 511 bytes and some \
             appliances refuse anything over 255: those clients fail while small ones connect.",
    fix: "Update the appliance's firmware (F5: the fix for the 256-511 byte ClientHello hang) \
          or the TLS stack; a server must take hellos of any length.",
};

const SUITES: Quirk = Quirk {
    id: FindingId::SuiteCountLimit,
    severity: Severity::Low,
    title: "The server refuses hellos offering many suites",
    breaks: "A hello offering over 150 suites is refused though as long a hello with few suites \
             is answered (wolfSSL's WOLFSSL_MAX_SUITE_SZ): clients offering every suite they \
             have (OpenSSL's ALL, scanners, old Java) fail.",
    fix: "Raise the stack's suite limit (wolfSSL: WOLFSSL_MAX_SUITE_SZ) or ignore suites past \
          it instead of refusing the hello.",
};

const STATUS_REQUEST: Quirk = Quirk {
    id: FindingId::StatusRequestIntolerance,
    severity: Severity::Medium,
    title: "The server refuses hellos asking for OCSP stapling",
    breaks: "Every browser asks for OCSP stapling (status_request); a server that cannot staple \
             must ignore the request (RFC 6066 8), not refuse the hello: browsers fail while \
             clients that do not ask connect.",
    fix: "Update the TLS stack or its OCSP configuration so that a request it cannot serve is \
          ignored.",
};

const SNI: Quirk = Quirk {
    id: FindingId::IncorrectSniAlert,
    severity: Severity::Low,
    title: "The server alerts on unknown server names",
    breaks: "Clients that reach the server under a name it is not configured for (an alias, a \
             new host name, an address) get an unrecognized_name alert; Java clients abort the \
             handshake on it even as a warning.",
    fix: "Configure a default site that answers unknown names with its certificate, or list \
          every name the server is reached under.",
};

const RETRY: Quirk = Quirk {
    id: FindingId::HelloRetryUnofferedGroup,
    severity: Severity::High,
    title: "The server asks TLS 1.3 clients for a group they never offered",
    breaks: "RFC 8446 4.1.4 makes every TLS 1.3 client abort a handshake whose \
             HelloRetryRequest names a group it did not offer: browsers, curl and every \
             TLS 1.3 library fail, or fall back to TLS 1.2 where they still can.",
    fix: "Update the TLS stack: a HelloRetryRequest may only name a group from the client's \
          supported_groups.",
};

const OUTSIDE_VERSION: Quirk = Quirk {
    id: FindingId::SuiteOutsideVersion,
    severity: Severity::Medium,
    title: "The server picks suites its TLS version does not define",
    breaks: "A TLS 1.0/1.1 hello that also offers AES-GCM suites is answered with one of them, \
             which only TLS 1.2 defines: clients that check (OpenSSL, Go, rustls) abort, and \
             those that do not run a suite in a version it was not designed for.",
    fix: "Update the TLS stack so that it only picks suites the negotiated version defines.",
};

fn run(obs: &Observations) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut add = |quirk: &Quirk, seen: String| {
        found.push(finding(
            quirk.id.clone(),
            quirk.severity,
            quirk.title,
            format!("{seen}. {}", quirk.breaks),
            quirk.fix,
        ));
    };
    if let Some(group) = &obs.key_exchange.hello_retry_unoffered_group {
        add(
            &RETRY,
            format!(
                "A TLS 1.3 hello was answered with a HelloRetryRequest for {}, which it did not \
                 offer",
                group.name
            ),
        );
    }
    let Some(tolerance) = &obs.features.hello_tolerance else {
        return found;
    };
    let details = if tolerance.details.is_empty() {
        "seen in one test hello".to_owned()
    } else {
        format!("Seen: {}", tolerance.details.join("; "))
    };
    for (seen, quirk) in [
        (tolerance.version_intolerance, &VERSION),
        (tolerance.extension_intolerance, &EXTENSION),
        (tolerance.long_hello_intolerance, &LONG),
        (tolerance.suite_count_limit, &SUITES),
        (tolerance.status_request_intolerance, &STATUS_REQUEST),
        (tolerance.incorrect_sni_alert, &SNI),
        (tolerance.suite_outside_version, &OUTSIDE_VERSION),
    ] {
        if seen == Some(true) {
            add(quirk, details.clone());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn each_quirk_seen_is_one_finding_that_says_what_it_breaks() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        obs.features.hello_tolerance = Some(shared::HelloTolerance {
            version_intolerance: Some(false),
            status_request_intolerance: Some(true),
            incorrect_sni_alert: None,
            details: vec!["a hello asking for OCSP stapling: a closed connection".into()],
            ..shared::HelloTolerance::default()
        });
        let found = run(&obs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, FindingId::StatusRequestIntolerance);
        assert!(
            found[0].detail.contains("closed connection"),
            "{}",
            found[0].detail
        );
        assert!(
            found[0].detail.contains("Every browser"),
            "{}",
            found[0].detail
        );
    }
}
