//! What a server's refusal looks like, and the retry with a plainer hello that every probe
//! shares (issue #15, "intolerance as a discipline").
//!
//! A server refuses a hello with an alert, by closing, by resetting, by saying nothing, or by
//! answering garbage. Some of those refusals are about what the hello asks (a version or
//! suites it does not have: protocol_version, handshake_failure, insufficient_security), and
//! some may be about the hello's form: its size (F5's 256–511-byte hang), its number of suites
//! (wolfSSL's 150), an extension it does not know, an OCSP or SCT request. A probe that was
//! refused for its form must not conclude "not supported" or "not vulnerable": it asks again
//! with a [`Form::Plain`] hello (no OCSP/SCT/ticket/EMS/ALPN requests, short lists, at most
//! [`RETRY_CHUNK`] suites, under 256 bytes) and then a [`Form::Bare`] one (no extension
//! beyond what the question needs), through [`ask_plainer`].
//!
//! Retries cost little: a tolerant server never sees one (its answers are ServerHellos or
//! refusals about the question), and the prober remembers ([`FormMemo`]) once a plainer form
//! helped (later questions start there) or when retries did not help twice (the server
//! refuses by closing: later refusals are taken as they come).

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use crate::iana::cipher_suites::{TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV};
use crate::wire::extensions::ext;
use crate::wire::server::{alert, alert_name};
use crate::wire::{ClientHello, Refusal, ServerFlight, Verdict, WireError};

/// The most suites a plainer hello offers (nmap's ssl-enum-ciphers uses chunks of 64 too):
/// 128 bytes of suites keep a plain hello under 256 bytes, below every size limit seen
/// (wolfSSL refuses more than 150 suites; F5 devices hang on 256–511 bytes).
pub const RETRY_CHUNK: usize = 64;

/// How a server said no (or failed to say anything).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// A fatal alert, by description.
    Alert(u8),
    /// The connection closed without a word.
    Closed,
    /// The connection was reset (or aborted) under us.
    Reset,
    /// Nothing came back in time.
    Silence,
    /// Bytes that are not the TLS answer expected.
    Garbage(String),
    /// An SSL 2.0 ERROR message.
    Ssl2Error(u16),
    /// No connection at all (refused, unreachable): not about the hello.
    NoConnection(String),
}

impl RefusalKind {
    /// How `flight` refused, or `None` when the server answered (a ServerHello, an HRR, an
    /// SSL 2.0 SERVER-HELLO).
    pub fn of(flight: &ServerFlight) -> Option<Self> {
        match flight.verdict() {
            Verdict::Accepted { .. }
            | Verdict::HelloRetry { .. }
            | Verdict::Ssl2Accepted { .. } => None,
            Verdict::Refused(Refusal::Alert(a)) => Some(Self::Alert(a.description)),
            Verdict::Refused(Refusal::Closed) => Some(Self::Closed),
            Verdict::Refused(Refusal::Ssl2Error(code)) => Some(Self::Ssl2Error(code)),
            Verdict::Failed(e) => Some(Self::of_error(&e)),
        }
    }

    /// The kind of refusal an exchange's error is.
    pub fn of_error(error: &WireError) -> Self {
        use std::io::ErrorKind;
        match error {
            WireError::Timeout { .. } => Self::Silence,
            WireError::Io {
                kind:
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe,
                ..
            } => Self::Reset,
            WireError::Io { .. } => Self::NoConnection(error.to_string()),
            other => Self::Garbage(other.to_string()),
        }
    }

    /// False for the answers a tolerant server gives to a question it says no to (a
    /// version, suites, groups or a feature it does not have) and for a connection that never
    /// opened; true for everything else, which an intolerant server may give to a hello's
    /// form.
    pub fn may_be_about_the_hello(&self) -> bool {
        match self {
            Self::Alert(description) => !matches!(
                *description,
                alert::PROTOCOL_VERSION
                    | alert::HANDSHAKE_FAILURE
                    | alert::INSUFFICIENT_SECURITY
                    // The fallback test's answer: retrying plainer would only lose it (a bare
                    // hello without supported_groups gets handshake_failure from Go).
                    | alert::INAPPROPRIATE_FALLBACK
            ),
            Self::Closed | Self::Reset | Self::Silence | Self::Garbage(_) => true,
            Self::Ssl2Error(_) | Self::NoConnection(_) => false,
        }
    }

    /// In words, for reports: "a decode_error alert", "a closed connection".
    pub fn describe(&self) -> String {
        match self {
            Self::Alert(d) => format!("a {} alert", alert_name(*d)),
            Self::Closed => "a closed connection".into(),
            Self::Reset => "a reset connection".into(),
            Self::Silence => "no answer in time".into(),
            Self::Garbage(e) => format!("an answer that is not TLS ({e})"),
            Self::Ssl2Error(code) => format!("SSL 2.0 error {code}"),
            Self::NoConnection(e) => format!("no connection ({e})"),
        }
    }
}

/// How much a hello carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Form {
    /// The hello as the probe built it (browser-like: every suite, OCSP/SCT requests, ...).
    Full = 0,
    /// [`ClientHello::plain`], at most [`RETRY_CHUNK`] suites, plus the extensions the
    /// question needs.
    Plain = 1,
    /// No extension beyond the question's (and, for TLS 1.3, those it cannot go without).
    Bare = 2,
}

impl Form {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Full,
            1 => Self::Plain,
            _ => Self::Bare,
        }
    }

    /// The next plainer form, if any.
    pub fn plainer(self) -> Option<Self> {
        match self {
            Self::Full => Some(Self::Plain),
            Self::Plain => Some(Self::Bare),
            Self::Bare => None,
        }
    }

    /// `hello` in this form, keeping the extensions `question` names exactly as they were
    /// (the heartbeat of the Heartbleed test, the groups of a group enumeration).
    pub fn shape(self, hello: ClientHello, question: &[u16]) -> ClientHello {
        if self == Self::Full {
            return hello;
        }
        let kept: Vec<_> = hello
            .extensions
            .iter()
            .filter(|e| question.contains(&e.typ()))
            .cloned()
            .collect();
        let tls13 = hello.extension(ext::SUPPORTED_VERSIONS).is_some();
        let mut shaped = hello.plain();
        if self == Self::Bare {
            // TLS 1.3 cannot be asked without these.
            let needed: &[u16] = if tls13 {
                &[
                    ext::SUPPORTED_VERSIONS,
                    ext::KEY_SHARE,
                    ext::SUPPORTED_GROUPS,
                    ext::SIGNATURE_ALGORITHMS,
                    ext::SERVER_NAME,
                ]
            } else {
                &[ext::SERVER_NAME]
            };
            shaped.extensions.retain(|e| needed.contains(&e.typ()));
            shaped.omit_empty_extensions = true;
            shaped.padding = crate::wire::client_hello::Padding::None;
            if !tls13
                && !shaped
                    .cipher_suites
                    .contains(&TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
            {
                // Without renegotiation_info, RFC 5746 servers expect the SCSV.
                shaped.cipher_suites.push(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
            }
        }
        for extension in kept {
            shaped.set_extension(extension);
        }
        shaped.cipher_suites = plain_suites(&shaped.cipher_suites);
        shaped
    }
}

/// At most [`RETRY_CHUNK`] of `suites`, in their order, the signalling suites kept.
fn plain_suites(suites: &[u16]) -> Vec<u16> {
    let signalling = |s: &u16| *s == TLS_FALLBACK_SCSV || *s == TLS_EMPTY_RENEGOTIATION_INFO_SCSV;
    let mut out: Vec<u16> = suites
        .iter()
        .copied()
        .filter(|s| !signalling(s))
        .take(RETRY_CHUNK)
        .collect();
    out.extend(suites.iter().copied().filter(signalling));
    out
}

/// What a scan learned about retrying plainer hellos at this server (one per prober).
#[derive(Debug, Default)]
pub struct FormMemo {
    /// The form later questions start with (a plainer one helped before).
    start: AtomicU8,
    /// A plainer form was answered where a fuller one was refused.
    helped: AtomicBool,
    /// Retries that were refused all the same.
    futile: AtomicUsize,
}

/// After this many futile retries (and none that helped), refusals are taken as they come:
/// the server refuses by closing, whatever the hello.
const FUTILE_RETRIES: usize = 2;

impl FormMemo {
    fn start(&self) -> Form {
        Form::from_u8(self.start.load(Ordering::Relaxed))
    }

    fn worth_retrying(&self) -> bool {
        self.helped.load(Ordering::Relaxed) || self.futile.load(Ordering::Relaxed) < FUTILE_RETRIES
    }

    fn record_helped(&self, form: Form) {
        self.helped.store(true, Ordering::Relaxed);
        self.start.fetch_max(form as u8, Ordering::Relaxed);
    }

    fn record_futile(&self) {
        self.futile.fetch_add(1, Ordering::Relaxed);
    }

    /// True once a plainer hello was answered where a fuller one was refused.
    pub fn helped(&self) -> bool {
        self.helped.load(Ordering::Relaxed)
    }
}

/// An answer, and what it took to get it.
#[derive(Debug)]
pub struct Plainer<T> {
    /// The last answer (an acceptance, or the last refusal).
    pub answer: T,
    /// The form of the hello that got it.
    pub form: Form,
    /// How the fuller forms were refused, fullest first (empty when the first hello got the
    /// answer).
    pub refused: Vec<RefusalKind>,
}

impl<T> Plainer<T> {
    /// "a closed connection to the full hello; answered by a plain one", when a retry was
    /// needed.
    pub fn note(&self) -> Option<String> {
        if self.refused.is_empty() {
            return None;
        }
        let how: Vec<String> = self.refused.iter().map(RefusalKind::describe).collect();
        Some(format!(
            "{} to fuller hellos; asked again with a {:?} hello",
            how.join(", then "),
            self.form
        ))
    }
}

/// Asks `attempt` with the fullest form the memo allows, and again with plainer forms while
/// the refusal (`refusal` of the answer) may be about the hello: at most three attempts.
pub async fn ask_plainer<T, Fut>(
    memo: &FormMemo,
    mut attempt: impl FnMut(Form) -> Fut,
    refusal: impl Fn(&T) -> Option<RefusalKind>,
) -> Plainer<T>
where
    Fut: Future<Output = T>,
{
    let mut form = memo.start();
    let mut refused = Vec::new();
    // Bounded: each round moves to a plainer form or returns.
    loop {
        let answer = attempt(form).await;
        match (refusal(&answer), form.plainer()) {
            (Some(kind), Some(next)) if kind.may_be_about_the_hello() && memo.worth_retrying() => {
                refused.push(kind);
                form = next;
            }
            (Some(kind), _) => {
                if !refused.is_empty() {
                    // A refusal about the question (handshake_failure) to a plainer hello is
                    // a real answer where the fuller form got none: the retry helped.
                    if kind.may_be_about_the_hello() {
                        memo.record_futile();
                    } else {
                        memo.record_helped(form);
                    }
                }
                return Plainer {
                    answer,
                    form,
                    refused,
                };
            }
            (None, _) => {
                if !refused.is_empty() {
                    memo.record_helped(form);
                }
                return Plainer {
                    answer,
                    form,
                    refused,
                };
            }
        }
    }
}

/// How an exchange that keeps its connection (Heartbleed, CCS injection, ROBOT) was refused.
pub fn exchange_refusal<S>(
    exchange: &Result<crate::wire::Exchange<S>, WireError>,
) -> Option<RefusalKind> {
    match exchange {
        Ok(ex) => RefusalKind::of(&ex.flight),
        Err(e) => Some(RefusalKind::of_error(e)),
    }
}

/// [`ask_plainer`] for one hello: `build` makes the question's hello (its suites may differ
/// by form), shaped by [`Form::shape`] keeping `question`'s extensions.
pub async fn send_plainer(
    prober: &super::prober::Prober,
    question: &[u16],
    build: impl Fn(Form) -> ClientHello,
) -> Plainer<ServerFlight> {
    ask_plainer(
        prober.forms(),
        |form| {
            let hello = form.shape(build(form), question);
            async move { prober.send(&hello).await }
        },
        RefusalKind::of,
    )
    .await
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::survey::suites::candidates;

    #[test]
    fn plainer_forms_keep_the_question_and_stay_small() {
        let hello =
            ClientHello::for_version(ProtocolVersion::Tls12, &candidates(ProtocolVersion::Tls12))
                .with_heartbeat()
                .with_fallback_scsv();
        let plain = Form::Plain.shape(hello.clone(), &[ext::HEARTBEAT]);
        assert!(plain.extension(ext::HEARTBEAT).is_some());
        assert!(plain.extension(ext::STATUS_REQUEST).is_none());
        assert!(plain.cipher_suites.contains(&TLS_FALLBACK_SCSV));
        assert_eq!(plain.cipher_suites.len(), RETRY_CHUNK + 1);
        assert!(
            plain.encode_body().len() < 256,
            "{}",
            plain.encode_body().len()
        );
        let bare = Form::Bare.shape(hello, &[ext::HEARTBEAT]);
        let types: Vec<u16> = bare.extensions.iter().map(|e| e.typ()).collect();
        assert_eq!(types, [ext::HEARTBEAT]);
        let tls13 = Form::Bare.shape(
            ClientHello::for_version(ProtocolVersion::Tls13, &[0x1301]),
            &[],
        );
        assert!(tls13.extension(ext::SUPPORTED_VERSIONS).is_some());
        assert!(tls13.extension(ext::KEY_SHARE).is_some());
    }

    #[test]
    fn refusals_about_the_question_are_not_retried() {
        for d in [alert::HANDSHAKE_FAILURE, alert::PROTOCOL_VERSION] {
            assert!(!RefusalKind::Alert(d).may_be_about_the_hello());
        }
        for kind in [
            RefusalKind::Alert(alert::DECODE_ERROR),
            RefusalKind::Closed,
            RefusalKind::Reset,
            RefusalKind::Silence,
        ] {
            assert!(kind.may_be_about_the_hello(), "{kind:?}");
        }
    }

    fn block_on<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    #[test]
    fn the_memo_starts_where_a_retry_helped_and_stops_futile_retries() {
        let memo = FormMemo::default();
        // Refuses anything but a plain hello by closing.
        let closes_full = |form: Form| async move { form == Form::Full };
        let refusal = |closed: &bool| closed.then_some(RefusalKind::Closed);
        let first = block_on(ask_plainer(&memo, closes_full, refusal));
        assert_eq!((first.form, first.refused.len()), (Form::Plain, 1));
        let second = block_on(ask_plainer(&memo, closes_full, refusal));
        assert_eq!((second.form, second.refused.len()), (Form::Plain, 0));

        // Plain hellos get a real refusal (handshake_failure): that too is a retry that helped.
        let memo = FormMemo::default();
        let full_closed = |form: Form| async move { form == Form::Full };
        let kinds = |closed: &bool| {
            Some(if *closed {
                RefusalKind::Closed
            } else {
                RefusalKind::Alert(alert::HANDSHAKE_FAILURE)
            })
        };
        for _ in 0..3 {
            block_on(ask_plainer(&memo, full_closed, kinds));
        }
        assert!(memo.helped());
        assert_eq!(memo.start(), Form::Plain);

        let memo = FormMemo::default();
        let attempts = AtomicUsize::new(0);
        let closes_all = |_: Form| {
            attempts.fetch_add(1, Ordering::Relaxed);
            async { true }
        };
        for _ in 0..5 {
            block_on(ask_plainer(&memo, closes_all, refusal));
        }
        // Two futile rounds of three, then one attempt each.
        assert_eq!(attempts.load(Ordering::Relaxed), 3 + 3 + 1 + 1 + 1);
    }
}
