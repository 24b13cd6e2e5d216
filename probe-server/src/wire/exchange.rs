//! The network primitive the scanner calls thousands of times: send a hello, read the
//! server's answer up to a terminal point, and say what happened.
//!
//! Terminal points: ServerHelloDone (TLS ≤ 1.2), a TLS 1.3 ServerHello (what follows is
//! encrypted), a HelloRetryRequest, a ChangeCipherSpec (an abbreviated, resumed handshake),
//! a fatal alert, an SSL 2.0 SERVER-HELLO or ERROR, EOF, or an error. Every exchange is
//! bounded by a per-read deadline, a total deadline and a byte cap, so a tarpit, a drip
//! feed, a garbage reply, an endless alert stream or a giant chain ends with a
//! [`WireError`] in [`FlightEnd::Error`], never a hang or a panic.
//!
//! The stream and the deframer (with any bytes read past the flight) are handed back in
//! [`Exchange`], so a test can go on over the same connection (a heartbeat request, an
//! early ChangeCipherSpec, a second ClientHello after a HelloRetryRequest).

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::handshake::{DEFAULT_FLIGHT_CAP, DEFAULT_MESSAGE_CAP, HandshakeReassembler};
use super::server::{
    Alert, CertificateChain, CertificateLimits, CertificateStatus, KeyExchangeParams, ServerHello,
    ServerKeyExchange, Ssl2Message, Ssl2ServerHello, alert, read_server_hello_done,
};
use super::{ContentType, Frame, HandshakeMessage, HandshakeType, Record, RecordReader, WireError};
use crate::iana::cipher_suites;

/// Bounds of one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest wait for any single read (and for the connect, in
    /// [`connect_and_exchange`]).
    pub read_timeout: Duration,
    /// The longest the whole exchange may take, from the first write.
    pub total_timeout: Duration,
    /// The most bytes read from the server in one flight.
    pub flight_cap: usize,
    /// The largest handshake message accepted.
    pub max_message: usize,
    /// Bounds on the Certificate message.
    pub certificates: CertificateLimits,
    /// The most warning alerts tolerated before giving up.
    pub max_warning_alerts: usize,
    /// Close our sending side right after the hello (TCP half-close). For probes that send
    /// nothing more: a server that serves one connection at a time then finishes with ours
    /// as soon as it has sent its flight, not a round trip later when our close arrives.
    pub half_close: bool,
}

impl Default for Limits {
    /// 5 s per read, 15 s in all, 1 MiB + 64 KiB a flight, 1 MiB a message, 32 certificates,
    /// 8 warning alerts.
    fn default() -> Self {
        Self {
            read_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(15),
            flight_cap: DEFAULT_FLIGHT_CAP,
            max_message: DEFAULT_MESSAGE_CAP,
            certificates: CertificateLimits::default(),
            max_warning_alerts: 8,
            half_close: false,
        }
    }
}

impl Limits {
    /// Default limits with these deadlines.
    pub fn with_timeouts(read_timeout: Duration, total_timeout: Duration) -> Self {
        Self {
            read_timeout,
            total_timeout,
            ..Self::default()
        }
    }
}

/// Why reading the flight stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlightEnd {
    /// A TLS ≤ 1.2 flight ended with ServerHelloDone.
    ServerHelloDone,
    /// A TLS 1.3 ServerHello arrived; the rest of the flight is encrypted.
    Tls13ServerHello,
    /// A HelloRetryRequest arrived.
    HelloRetryRequest,
    /// The server sent ChangeCipherSpec after its ServerHello (an abbreviated handshake:
    /// it resumed a session).
    ChangeCipherSpec,
    /// A fatal alert (or a close_notify).
    Alert(Alert),
    /// An SSL 2.0 SERVER-HELLO.
    Ssl2ServerHello,
    /// An SSL 2.0 ERROR with its code.
    Ssl2Error(u16),
    /// The server closed the connection.
    Eof,
    /// Malformed input, not TLS, a cap, a deadline or an I/O error.
    Error(WireError),
}

/// Everything the server sent, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFlight {
    /// The version in the first record header the server sent.
    pub record_version: Option<u16>,
    /// The ServerHello (or HelloRetryRequest).
    pub server_hello: Option<ServerHello>,
    /// The certificate chain (TLS ≤ 1.2).
    pub certificates: Option<CertificateChain>,
    /// The ServerKeyExchange (TLS ≤ 1.2).
    pub server_key_exchange: Option<ServerKeyExchange>,
    /// The stapled OCSP response (TLS ≤ 1.2).
    pub certificate_status: Option<CertificateStatus>,
    /// The server asked for a client certificate.
    pub certificate_request: bool,
    /// Every alert, in order (warnings included).
    pub alerts: Vec<Alert>,
    /// The SSL 2.0 SERVER-HELLO, for SSL 2.0 probes.
    pub ssl2_server_hello: Option<Ssl2ServerHello>,
    /// The type of every handshake message, in order.
    pub messages: Vec<HandshakeType>,
    /// Bytes read from the server.
    pub bytes_received: usize,
    /// Time from sending the hello to the end.
    pub elapsed: Duration,
    /// Why reading stopped.
    pub end: FlightEnd,
}

/// What an exchange means for "does the server accept this offer?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The server chose a version and a suite (and, when it said, a group).
    Accepted {
        /// The negotiated version's wire number.
        version: u16,
        /// The chosen suite.
        cipher_suite: u16,
        /// The key-exchange group: the TLS 1.3 key_share group, or the named curve of an
        /// ECDHE ServerKeyExchange.
        group: Option<u16>,
    },
    /// The server asked to retry with a share for `group` (TLS 1.3): it accepts the
    /// version and the suite, and the group.
    HelloRetry {
        /// The suite the server chose.
        cipher_suite: u16,
        /// The group it wants.
        group: Option<u16>,
    },
    /// SSL 2.0 accepted, with the cipher specs the server has in common with the offer.
    Ssl2Accepted {
        /// The common cipher specs.
        cipher_specs: Vec<u32>,
    },
    /// The server said no.
    Refused(Refusal),
    /// No answer could be had (timeout, garbage, I/O); see the error.
    Failed(WireError),
}

/// How a server says no.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A fatal alert (handshake_failure, protocol_version, insufficient_security, ...).
    Alert(Alert),
    /// It closed the connection without a word.
    Closed,
    /// An SSL 2.0 ERROR.
    Ssl2Error(u16),
}

impl ServerFlight {
    fn new() -> Self {
        Self {
            record_version: None,
            server_hello: None,
            certificates: None,
            server_key_exchange: None,
            certificate_status: None,
            certificate_request: false,
            alerts: Vec::new(),
            ssl2_server_hello: None,
            messages: Vec::new(),
            bytes_received: 0,
            elapsed: Duration::ZERO,
            end: FlightEnd::Eof,
        }
    }

    /// The verdict: a ServerHello wins over whatever came after it (a server that chose a
    /// suite and then stalled still chose it).
    pub fn verdict(&self) -> Verdict {
        if let Some(sh) = &self.server_hello {
            if sh.is_hello_retry_request {
                return Verdict::HelloRetry {
                    cipher_suite: sh.cipher_suite,
                    group: sh
                        .key_share
                        .as_ref()
                        .map(super::server::ServerKeyShare::group),
                };
            }
            let group = sh
                .key_share
                .as_ref()
                .map(super::server::ServerKeyShare::group)
                .or_else(|| {
                    self.server_key_exchange
                        .as_ref()
                        .and_then(ServerKeyExchange::named_curve)
                });
            return Verdict::Accepted {
                version: sh.version(),
                cipher_suite: sh.cipher_suite,
                group,
            };
        }
        if let Some(v2) = &self.ssl2_server_hello {
            return Verdict::Ssl2Accepted {
                cipher_specs: v2.cipher_specs.clone(),
            };
        }
        match &self.end {
            FlightEnd::Alert(a) => Verdict::Refused(Refusal::Alert(*a)),
            FlightEnd::Eof => Verdict::Refused(Refusal::Closed),
            FlightEnd::Ssl2Error(code) => Verdict::Refused(Refusal::Ssl2Error(*code)),
            FlightEnd::Error(e) => Verdict::Failed(e.clone()),
            other => Verdict::Failed(WireError::UnexpectedMessage {
                expected: "a ServerHello",
                got: format!("{other:?} without one"),
            }),
        }
    }

    /// The DH group size (DHE), or the export RSA key size, the server used.
    pub fn key_exchange_bits(&self) -> Option<usize> {
        self.server_key_exchange
            .as_ref()
            .and_then(ServerKeyExchange::modulus_bits)
    }

    /// True when the server ended with a fatal alert of this description.
    pub fn refused_with(&self, description: u8) -> bool {
        matches!(&self.end, FlightEnd::Alert(a) if a.description == description)
    }
}

/// The result of [`exchange`]: the flight, and the connection to go on with.
#[derive(Debug)]
pub struct Exchange<S> {
    /// The connection.
    pub stream: S,
    /// The deframer, holding any bytes read past the end of the flight.
    pub records: RecordReader,
    /// What the server sent.
    pub flight: ServerFlight,
}

/// A deadline pair for reads.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    per_read: Duration,
    end: Instant,
}

impl Deadline {
    /// Reads of at most `per_read` each, all over by `total` from now.
    pub fn new(per_read: Duration, total: Duration) -> Self {
        Self {
            per_read,
            end: Instant::now() + total,
        }
    }

    /// Reads of at most `per_read` each, all over by `end`.
    pub const fn until(per_read: Duration, end: Instant) -> Self {
        Self { per_read, end }
    }

    /// The longest one read (or write) may wait.
    pub const fn per_read(&self) -> Duration {
        self.per_read
    }
}

/// Reads once from `stream` into `records`. Returns the byte count (0 at EOF).
pub async fn read_some<S: AsyncRead + Unpin>(
    stream: &mut S,
    records: &mut RecordReader,
    deadline: Deadline,
    waiting_for: &'static str,
) -> Result<usize, WireError> {
    let started = Instant::now();
    let left = deadline.end.saturating_duration_since(started);
    let (wait, which) = if left < deadline.per_read {
        (left, "total")
    } else {
        (deadline.per_read, "per-read")
    };
    let mut buf = [0u8; 8192];
    match tokio::time::timeout(wait, stream.read(&mut buf)).await {
        Err(_) => Err(WireError::Timeout {
            which,
            waiting_for,
            elapsed: started.elapsed(),
        }),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(n)) => {
            records.push(buf.get(..n).unwrap_or_default());
            Ok(n)
        }
    }
}

/// The next frame (TLS record or SSL 2.0 record), reading as needed; `Ok(None)` at EOF.
/// `budget` is decremented by the bytes read and exhausting it is
/// [`WireError::FlightTooLarge`] (pass `usize::MAX` for no cap).
pub async fn next_frame<S: AsyncRead + Unpin>(
    stream: &mut S,
    records: &mut RecordReader,
    deadline: Deadline,
    budget: &mut usize,
) -> Result<Option<Frame>, WireError> {
    let cap = *budget;
    loop {
        if let Some(frame) = records.next_frame()? {
            return Ok(Some(frame));
        }
        let n = read_some(stream, records, deadline, "a record").await?;
        if n == 0 {
            return Ok(None);
        }
        *budget = budget
            .checked_sub(n)
            .ok_or(WireError::FlightTooLarge { max: cap })?;
    }
}

/// The next TLS record, reading as needed; `Ok(None)` at EOF. For use after a flight
/// (reading a heartbeat response, an alert after an early ChangeCipherSpec).
pub async fn next_record<S: AsyncRead + Unpin>(
    stream: &mut S,
    records: &mut RecordReader,
    deadline: Deadline,
) -> Result<Option<Record>, WireError> {
    let mut budget = usize::MAX;
    match next_frame(stream, records, deadline, &mut budget).await? {
        None => Ok(None),
        Some(Frame::Tls(r)) => Ok(Some(r)),
        Some(Frame::Ssl2(_)) => Err(WireError::UnexpectedMessage {
            expected: "a TLS record",
            got: "an SSL 2.0 record".into(),
        }),
    }
}

/// Sends `hello` (the bytes of [`super::ClientHello::to_bytes`] or
/// [`super::Ssl2ClientHello::to_bytes`]) and reads the server's flight.
///
/// Never fails: every problem ends up in [`ServerFlight::end`]. A hello starting with a
/// byte whose top bit is set is taken for an SSL 2.0 hello, and an SSL 2.0 answer is then
/// accepted.
pub async fn exchange<S>(mut stream: S, hello: &[u8], limits: &Limits) -> Exchange<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let started = Instant::now();
    let mut records = if hello.first().is_some_and(|b| b & 0x80 != 0) {
        RecordReader::accepting_ssl2()
    } else {
        RecordReader::new()
    };
    let deadline = Deadline::until(limits.read_timeout, started + limits.total_timeout);
    let write = tokio::time::timeout(limits.read_timeout.min(limits.total_timeout), async {
        stream.write_all(hello).await?;
        stream.flush().await?;
        if limits.half_close {
            stream.shutdown().await?;
        }
        Ok::<(), std::io::Error>(())
    })
    .await;
    let mut flight = match write {
        Err(_) => {
            let mut f = ServerFlight::new();
            f.end = FlightEnd::Error(WireError::Timeout {
                which: "per-read",
                waiting_for: "the hello to be sent",
                elapsed: started.elapsed(),
            });
            f
        }
        Ok(Err(e)) => {
            let mut f = ServerFlight::new();
            f.end = FlightEnd::Error(e.into());
            f
        }
        Ok(Ok(())) => read_flight(&mut stream, &mut records, deadline, limits).await,
    };
    flight.elapsed = started.elapsed();
    Exchange {
        stream,
        records,
        flight,
    }
}

/// Connects to `addr` (bounded by `limits.read_timeout`) and runs [`exchange`]. A failed
/// connect is the only error.
pub async fn connect_and_exchange(
    addr: std::net::SocketAddr,
    hello: &[u8],
    limits: &Limits,
) -> Result<Exchange<TcpStream>, WireError> {
    let stream = match tokio::time::timeout(limits.read_timeout, TcpStream::connect(addr)).await {
        Err(_) => {
            return Err(WireError::Timeout {
                which: "per-read",
                waiting_for: "the TCP connection",
                elapsed: limits.read_timeout,
            });
        }
        Ok(result) => result?,
    };
    // Small writes (alerts, heartbeats) must leave at once.
    stream.set_nodelay(true)?;
    Ok(exchange(stream, hello, limits).await)
}

/// Connects, offers `suites` for `version` in a browser-like hello (with SNI when
/// `server_name` is given), and says what the server did: the suite (and group) it
/// picked, or how it refused. A failed connect is [`Verdict::Failed`].
pub async fn offer_suites(
    addr: std::net::SocketAddr,
    version: shared::ProtocolVersion,
    suites: &[u16],
    server_name: Option<&str>,
    limits: &Limits,
) -> Verdict {
    let mut hello = super::ClientHello::for_version(version, suites);
    if let Some(name) = server_name {
        hello = hello.with_server_name(name);
    }
    match connect_and_exchange(addr, &hello.to_bytes(), limits).await {
        Ok(ex) => ex.flight.verdict(),
        Err(e) => Verdict::Failed(e),
    }
}

/// Reads a server flight from `stream` (after a hello was sent) up to its terminal point.
pub async fn read_flight<S: AsyncRead + Unpin>(
    stream: &mut S,
    records: &mut RecordReader,
    deadline: Deadline,
    limits: &Limits,
) -> ServerFlight {
    let mut parser = FlightParser::new(limits);
    let mut budget = limits.flight_cap;
    let end = loop {
        let frame = match next_frame(stream, records, deadline, &mut budget).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break FlightEnd::Eof,
            Err(e) => break FlightEnd::Error(e),
        };
        if let Some(end) = parser.on_frame(frame) {
            break end;
        }
    };
    parser.finish(end, limits.flight_cap - budget)
}

/// The flight's state machine without I/O: feed it frames, it says when the flight is
/// over. [`read_flight`] drives it from a socket; tests and fuzzers drive it from bytes.
#[derive(Debug)]
pub struct FlightParser {
    flight: ServerFlight,
    state: FlightState,
    limits: Limits,
}

impl FlightParser {
    /// A parser for a new flight.
    pub fn new(limits: &Limits) -> Self {
        Self {
            flight: ServerFlight::new(),
            state: FlightState {
                handshake: HandshakeReassembler::new(limits.max_message, limits.flight_cap),
                warnings: 0,
            },
            limits: *limits,
        }
    }

    /// Processes one frame; returns how the flight ended once it has.
    pub fn on_frame(&mut self, frame: Frame) -> Option<FlightEnd> {
        match on_frame(&mut self.flight, &mut self.state, frame, &self.limits) {
            Ok(end) => end,
            Err(e) => Some(FlightEnd::Error(e)),
        }
    }

    /// The flight so far, ended by `end`.
    pub fn finish(mut self, end: FlightEnd, bytes_received: usize) -> ServerFlight {
        self.flight.end = end;
        self.flight.bytes_received = bytes_received;
        self.flight
    }

    /// Parses a whole server reply held in memory (as if read from a socket that then
    /// closed). `ssl2` accepts an SSL 2.0 first record.
    pub fn parse_bytes(bytes: &[u8], limits: &Limits, ssl2: bool) -> ServerFlight {
        let mut records = if ssl2 {
            RecordReader::accepting_ssl2()
        } else {
            RecordReader::new()
        };
        let taken = bytes.len().min(limits.flight_cap);
        records.push(bytes.get(..taken).unwrap_or_default());
        let mut parser = Self::new(limits);
        let end = loop {
            match records.next_frame() {
                Ok(Some(frame)) => {
                    if let Some(end) = parser.on_frame(frame) {
                        break end;
                    }
                }
                Ok(None) if taken < bytes.len() => {
                    break FlightEnd::Error(WireError::FlightTooLarge {
                        max: limits.flight_cap,
                    });
                }
                Ok(None) => break FlightEnd::Eof,
                Err(e) => break FlightEnd::Error(e),
            }
        };
        parser.finish(end, taken)
    }
}

#[derive(Debug)]
struct FlightState {
    handshake: HandshakeReassembler,
    warnings: usize,
}

fn on_frame(
    flight: &mut ServerFlight,
    state: &mut FlightState,
    frame: Frame,
    limits: &Limits,
) -> Result<Option<FlightEnd>, WireError> {
    let record = match frame {
        Frame::Ssl2(r) => {
            return match Ssl2Message::read(&r.data)? {
                Ssl2Message::ServerHello(h) => {
                    flight.ssl2_server_hello = Some(h);
                    Ok(Some(FlightEnd::Ssl2ServerHello))
                }
                Ssl2Message::Error(code) => Ok(Some(FlightEnd::Ssl2Error(code))),
            };
        }
        Frame::Tls(r) => r,
    };
    flight.record_version.get_or_insert(record.version);
    match record.content_type {
        ContentType::Alert => {
            // TLS 1.2 lets a record carry several alerts; an odd length is malformed.
            if record.payload.is_empty() || !record.payload.len().is_multiple_of(2) {
                return Err(WireError::BadLength("alert record"));
            }
            for pair in record.payload.chunks(2) {
                let a = Alert::read(pair)?;
                flight.alerts.push(a);
                if a.is_fatal() || a.description == alert::CLOSE_NOTIFY {
                    return Ok(Some(FlightEnd::Alert(a)));
                }
                state.warnings += 1;
                if state.warnings > limits.max_warning_alerts {
                    return Err(WireError::TooMany {
                        what: "warning alerts",
                        max: limits.max_warning_alerts,
                    });
                }
            }
            Ok(None)
        }
        ContentType::Handshake => {
            state.handshake.push(&record.payload)?;
            while let Some(msg) = state.handshake.next_message()? {
                if let Some(end) = on_message(flight, msg, limits)? {
                    return Ok(Some(end));
                }
            }
            Ok(None)
        }
        ContentType::ChangeCipherSpec if flight.server_hello.is_some() => {
            Ok(Some(FlightEnd::ChangeCipherSpec))
        }
        other => Err(WireError::UnexpectedMessage {
            expected: "handshake or alert records",
            got: format!("a {} record", other.name()),
        }),
    }
}

fn on_message(
    flight: &mut ServerFlight,
    msg: HandshakeMessage,
    limits: &Limits,
) -> Result<Option<FlightEnd>, WireError> {
    flight.messages.push(msg.typ);
    if msg.typ == HandshakeType::HelloRequest {
        return Ok(None);
    }
    let Some(sh) = &flight.server_hello else {
        if msg.typ != HandshakeType::ServerHello {
            return Err(WireError::UnexpectedMessage {
                expected: "ServerHello",
                got: format!("handshake message {:?}", msg.typ),
            });
        }
        let sh = ServerHello::read(&msg.body)?;
        let end = if sh.is_hello_retry_request {
            Some(FlightEnd::HelloRetryRequest)
        } else if sh.version() >= 0x0304 {
            Some(FlightEnd::Tls13ServerHello)
        } else {
            None
        };
        flight.server_hello = Some(sh);
        return Ok(end);
    };
    match msg.typ {
        HandshakeType::Certificate => {
            flight.certificates = Some(CertificateChain::read(&msg.body, limits.certificates)?);
        }
        HandshakeType::ServerKeyExchange => {
            let ske = if cipher_suites::by_id(sh.cipher_suite).is_some() {
                ServerKeyExchange::read_for_suite(&msg.body, sh.cipher_suite, sh.version())?
            } else {
                ServerKeyExchange {
                    psk_identity_hint: None,
                    params: KeyExchangeParams::Raw(msg.body),
                    signature_algorithm: None,
                    signature: None,
                }
            };
            flight.server_key_exchange = Some(ske);
        }
        HandshakeType::CertificateStatus => {
            flight.certificate_status = Some(CertificateStatus::read(&msg.body)?);
        }
        HandshakeType::CertificateRequest => flight.certificate_request = true,
        HandshakeType::ServerHelloDone => {
            read_server_hello_done(&msg.body)?;
            return Ok(Some(FlightEnd::ServerHelloDone));
        }
        HandshakeType::NewSessionTicket | HandshakeType::SupplementalData => {}
        other => {
            return Err(WireError::UnexpectedMessage {
                expected: "the rest of a TLS 1.2 server flight",
                got: format!("handshake message {other:?}"),
            });
        }
    }
    Ok(None)
}

#[cfg(test)]
mod openssl_tests;
#[cfg(test)]
mod tests;
