//! How the server takes hellos of unusual form (SSL Labs' "Protocol details"): a newer
//! version than it speaks, an unknown extension, a long hello, many suites, an OCSP request,
//! an unknown server name, TLS 1.2-only suites in a TLS 1.0 hello.
//!
//! Each test is one hello that differs in one respect from a plain hello the server was seen
//! to accept (the best version below TLS 1.3, the suites its enumeration found): a refusal is
//! then about that respect. First one hello carries every unusual feature at once: a tolerant
//! server answers it and costs that one connection (plus the TLS 1.0/1.1 suite test where it
//! speaks those). Only a server that refuses it gets the tests one by one, all at once after
//! one hello confirms the baseline (nine connections at most).

use futures_util::future::BoxFuture;
use shared::{HelloTolerance, ProtocolVersion, Step};

use super::probe::{Observed, Probe, Recording, SurveyContext};
use super::prober::Prober;
use super::refusal::{Form, RefusalKind};
use super::suites::{self, hello};
use crate::iana::cipher_suites;
use crate::wire::server::alert;
use crate::wire::{ClientExtension, ClientHello, Padding, ServerFlight, Verdict};

/// A GREASE extension type (RFC 8701): servers must ignore it; Chrome sends such values.
const GREASE_EXTENSION: u16 = 0x0a0a;

/// The server name no server is configured for (RFC 6761 `.invalid`; sent in SNI only,
/// never resolved).
const UNKNOWN_NAME: &str = "no-such-name.invalid";

/// The suites TLS 1.2 defines that earlier versions do not (AES-GCM, RFC 5288/5289).
const TLS12_ONLY: &[u16] = &[
    0xc02f, 0xc030, 0xc02b, 0xc02c, 0x009e, 0x009f, 0x009c, 0x009d,
];

/// What one test's answer says: refused (`Some(true)`), answered (`Some(false)`), or not
/// told (`None`, with why).
fn refused(flight: &ServerFlight) -> (Option<bool>, Option<String>) {
    match RefusalKind::of(flight) {
        None => (Some(false), None),
        Some(RefusalKind::NoConnection(e)) => (None, Some(format!("no connection: {e}"))),
        Some(kind) => (Some(true), Some(kind.describe())),
    }
}

/// Runs the tests over `version`, with `accepted` (suites the server accepted in it) and,
/// when the server has one, an older version `older` (TLS 1.0/1.1) with its suites.
pub async fn hello_tolerance(
    prober: &Prober,
    version: ProtocolVersion,
    accepted: &[u16],
    older: Option<(ProtocolVersion, Vec<u16>)>,
) -> HelloTolerance {
    let mut result = match all_at_once(prober, version, accepted).await {
        Some(tolerant) => tolerant,
        None => match one_by_one(prober, version, accepted).await {
            Ok(result) => result,
            Err(nothing_to_compare) => return nothing_to_compare,
        },
    };
    if let Some((older, older_suites)) = older {
        suite_outside_version(prober, older, &older_suites, &mut result).await;
    }
    result
}

/// Over 150 suites (wolfSSL's limit): the accepted ones first, then the rest of the
/// version's, then unassigned code points, padded to the long hello's 600 bytes so that
/// only the number of suites differs.
fn many_suites(version: ProtocolVersion, accepted: &[u16]) -> ClientHello {
    let mut many: Vec<u16> = accepted.to_vec();
    many.extend(
        suites::candidates(version)
            .into_iter()
            .filter(|s| !accepted.contains(s)),
    );
    many.extend((0xfe00u16..0xff00).filter(|s| cipher_suites::by_id(*s).is_none()));
    many.truncate(200);
    let mut counted = ClientHello::for_version(version, &many).plain();
    counted.padding = Padding::ToLength(600);
    counted
}

/// Every test in one hello: version 0x0399, an unknown extension, 200 suites in a hello of
/// 600 bytes and more, status_request and a name the server does not know. Most servers
/// answer it, and then that one connection answers every test (a server that takes 0x0399
/// takes 0x0304); any refusal or an unrecognized_name alert sends the tests one by one, so
/// that each refusal is pinned to its cause. `None`: ask one by one.
async fn all_at_once(
    prober: &Prober,
    version: ProtocolVersion,
    accepted: &[u16],
) -> Option<HelloTolerance> {
    let mut everything = many_suites(version, accepted)
        .with_extension(ClientExtension::Raw {
            typ: GREASE_EXTENSION,
            data: Vec::new(),
        })
        .with_extension(ClientExtension::StatusRequest)
        .with_server_name(UNKNOWN_NAME);
    everything.legacy_version = 0x0399;
    let flight = prober.send_as_is(&everything).await;
    let unrecognized = flight
        .alerts
        .iter()
        .any(|a| a.description == alert::UNRECOGNIZED_NAME);
    if RefusalKind::of(&flight).is_some() || unrecognized {
        return None;
    }
    Some(HelloTolerance {
        version_intolerance: Some(false),
        extension_intolerance: Some(false),
        long_hello_intolerance: Some(false),
        suite_count_limit: Some(false),
        status_request_intolerance: Some(false),
        incorrect_sni_alert: Some(false),
        suite_outside_version: None,
        details: vec![format!(
            "one {} hello with all of them (version 0x0399, an unknown extension, 200 suites, \
             600 bytes, status_request, the name {UNKNOWN_NAME}) was answered",
            version.display_name()
        )],
    })
}

/// Each test its own hello, differing from a plain hello the server accepts in one respect.
/// `Err` when not even the plain hello is answered (nothing to compare with).
async fn one_by_one(
    prober: &Prober,
    version: ProtocolVersion,
    accepted: &[u16],
) -> Result<HelloTolerance, HelloTolerance> {
    let mut result = HelloTolerance::default();
    // The plain hello, or one without extensions for a server that refuses any.
    let mut form = Form::Plain;
    let baseline = prober
        .send(&form.shape(hello(version, accepted), &[]))
        .await;
    if let Some(kind) = RefusalKind::of(&baseline) {
        let bare = prober
            .send(&Form::Bare.shape(hello(version, accepted), &[]))
            .await;
        if !kind.may_be_about_the_hello() || RefusalKind::of(&bare).is_some() {
            result.details.push(format!(
                "a plain {} hello offering suites it accepted before got {}: nothing to \
                 compare with",
                version.display_name(),
                kind.describe()
            ));
            return Err(result);
        }
        result.extension_intolerance = Some(true);
        result.details.push(format!(
            "a plain hello with extensions got {}; one without any was answered",
            kind.describe()
        ));
        form = Form::Bare;
    }
    let base = |suites: &[u16]| form.shape(hello(version, suites), &[]);

    let newer = |legacy_version: u16| {
        let mut h = base(accepted);
        h.legacy_version = legacy_version;
        h
    };
    let extended = base(accepted).with_extension(ClientExtension::Raw {
        typ: GREASE_EXTENSION,
        data: Vec::new(),
    });
    let padded = |length: usize| {
        let mut h = base(accepted);
        h.padding = Padding::ToLength(length);
        h
    };
    let counted = many_suites(version, accepted);
    let stapled = base(accepted).with_extension(ClientExtension::StatusRequest);
    let unknown_name = base(accepted).with_server_name(UNKNOWN_NAME);

    let (newer13, newer99, padded300, padded600) =
        (newer(0x0304), newer(0x0399), padded(300), padded(600));
    let (v13, v99, grease, long300, long600, suites200, ocsp, sni) = tokio::join!(
        prober.send(&newer13),
        prober.send(&newer99),
        prober.send(&extended),
        prober.send(&padded300),
        prober.send(&padded600),
        prober.send(&counted),
        prober.send(&stapled),
        prober.send_as_is(&unknown_name),
    );

    // Version: a tolerant server answers with its best version.
    let mut version_seen = Vec::new();
    for (offered, flight) in [(0x0304u16, &v13), (0x0399, &v99)] {
        match refused(flight) {
            (Some(true), how) => version_seen.push(format!(
                "a hello with version 0x{offered:04x} got {}",
                how.unwrap_or_default()
            )),
            (None, why) => result.details.push(why.unwrap_or_default()),
            _ => {}
        }
    }
    result.version_intolerance = Some(!version_seen.is_empty());
    result.details.extend(version_seen);

    let mut note = |test: &str, flight: &ServerFlight| -> Option<bool> {
        let (seen, how) = refused(flight);
        if let Some(how) = how {
            result.details.push(format!("{test}: {how}"));
        }
        seen
    };
    let unknown_extension = note("a hello with an unknown extension (0x0a0a)", &grease);
    if result.extension_intolerance.is_none() {
        result.extension_intolerance = unknown_extension;
    }
    let long = [
        note("a hello of 300 bytes", &long300),
        note("a hello of 600 bytes", &long600),
    ];
    result.long_hello_intolerance = match long {
        [Some(a), Some(b)] => Some(a || b),
        _ => None,
    };
    // Only a 600-byte hello that was answered tells the suites from the length.
    let count = note("a hello offering 200 suites", &suites200);
    result.suite_count_limit = match long[1] {
        Some(false) => count,
        _ => None,
    };
    result.status_request_intolerance = note("a hello asking for OCSP stapling", &ocsp);
    if form == Form::Bare {
        // Padding and status_request are extensions: refused as any extension is.
        result.long_hello_intolerance = None;
        result.suite_count_limit = None;
        result.status_request_intolerance = None;
    }
    let unrecognized = sni
        .alerts
        .iter()
        .any(|a| a.description == alert::UNRECOGNIZED_NAME)
        || sni.refused_with(alert::UNRECOGNIZED_NAME);
    result.incorrect_sni_alert = match refused(&sni) {
        (None, _) if !unrecognized => None,
        _ => Some(unrecognized),
    };
    if unrecognized {
        result.details.push(format!(
            "a hello for {UNKNOWN_NAME} got an unrecognized_name alert{}",
            if sni.server_hello.is_some() {
                " (a warning, then a ServerHello)"
            } else {
                " (fatal)"
            }
        ));
    }

    Ok(result)
}

/// A suite the version does not define: only with a TLS 1.0/1.1 the server accepts.
async fn suite_outside_version(
    prober: &Prober,
    older: ProtocolVersion,
    older_suites: &[u16],
    result: &mut HelloTolerance,
) {
    {
        let mut offer: Vec<u16> = TLS12_ONLY.to_vec();
        offer.extend(
            older_suites
                .iter()
                .copied()
                .filter(|s| !TLS12_ONLY.contains(s)),
        );
        let flight = prober
            .send(&Form::Plain.shape(hello(older, &offer), &[]))
            .await;
        result.suite_outside_version = match flight.verdict() {
            Verdict::Accepted {
                version: chosen,
                cipher_suite,
                ..
            } if chosen < 0x0303 => {
                let outside = TLS12_ONLY.contains(&cipher_suite);
                if outside {
                    result.details.push(format!(
                        "a {} hello that also offered AES-GCM was answered with 0x{cipher_suite:04x}, \
                         a TLS 1.2 suite",
                        older.display_name()
                    ));
                }
                Some(outside)
            }
            _ => None,
        };
    }
}

/// The hello tolerance tests, on the best version below TLS 1.3.
pub(crate) struct HelloToleranceProbe;

impl Probe for HelloToleranceProbe {
    fn name(&self) -> Step {
        Step::HelloTolerance
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let accepted_in = |version: ProtocolVersion| async move {
                match context.published.version(version) {
                    Some(slot) => slot.get().await.accepted.iter().map(|a| a.suite).collect(),
                    None => Vec::new(),
                }
            };
            let found = match context.firsts.best_legacy().await {
                Some(version) if version >= ProtocolVersion::Tls10 => {
                    let accepted: Vec<u16> = accepted_in(version).await;
                    let mut older = None;
                    for candidate in [ProtocolVersion::Tls11, ProtocolVersion::Tls10] {
                        if candidate < version && context.firsts.wait(candidate).await == Some(true)
                        {
                            let suites: Vec<u16> = accepted_in(candidate).await;
                            if !suites.is_empty() {
                                older = Some((candidate, suites));
                                break;
                            }
                        }
                    }
                    if accepted.is_empty() {
                        None
                    } else {
                        Some(hello_tolerance(context.prober, version, &accepted, older).await)
                    }
                }
                _ => None,
            };
            Box::new(move |observed: &mut Observed| observed.hello_tolerance = found) as Recording
        })
    }
}
