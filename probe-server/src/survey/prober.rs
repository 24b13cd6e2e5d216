//! The prober: every raw hello of a full scan goes through it. It caps the connections in
//! flight to one host, counts them, and copes with servers that serve one connection at a
//! time or reset under load: the first transient failure (reset, refused, timeout) drops the
//! cap to one connection at a time, and the failed exchange is tried once more.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::wire::{
    ClientHello, Exchange, FlightEnd, Limits, ServerFlight, WireError, connect_and_exchange,
};

/// The longest one read waits unless told otherwise (the first-byte timeout's default).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(4);

/// The default cap on connections in flight to one host.
pub const DEFAULT_CONNECTIONS: usize = 8;

/// Sends hellos to one server.
#[derive(Debug)]
pub struct Prober {
    address: SocketAddr,
    server_name: Option<String>,
    limits: Limits,
    deadline: Instant,
    capacity: usize,
    slots: Arc<Semaphore>,
    reduced: AtomicBool,
    /// False once the server dropped a half-closed connection without a word.
    half_close_works: AtomicBool,
    connections: AtomicUsize,
    /// What retries with plainer hellos taught about this server.
    forms: super::refusal::FormMemo,
}

/// A connection slot, held for as long as a probe uses its connection.
#[derive(Debug)]
pub struct Slot<'a>(#[allow(dead_code)] SemaphorePermit<'a>);

impl Prober {
    /// A prober for `address`, sending SNI `server_name`, with at most `connections` in
    /// flight, finishing by `deadline`.
    pub fn new(
        address: SocketAddr,
        server_name: Option<String>,
        connections: usize,
        deadline: Instant,
    ) -> Self {
        let capacity = connections.max(1);
        Self::sharing(
            address,
            server_name,
            Arc::new(Semaphore::new(capacity)),
            capacity,
            deadline,
        )
    }

    /// Like [`Prober::new`], taking its slots from `slots` (of `capacity` permits), which
    /// the scan's other connections to the same host share: the cap holds for the whole scan.
    pub fn sharing(
        address: SocketAddr,
        server_name: Option<String>,
        slots: Arc<Semaphore>,
        capacity: usize,
        deadline: Instant,
    ) -> Self {
        let capacity = capacity.max(1);
        Self {
            address,
            server_name,
            limits: Limits::with_timeouts(DEFAULT_READ_TIMEOUT, Duration::from_secs(6)),
            deadline,
            capacity,
            slots,
            reduced: AtomicBool::new(false),
            half_close_works: AtomicBool::new(true),
            connections: AtomicUsize::new(0),
            forms: super::refusal::FormMemo::default(),
        }
    }

    /// Gives up an exchange when the server has sent nothing `first_byte` after the hello
    /// (a tarpit), instead of [`DEFAULT_READ_TIMEOUT`]. The raw engine bounds every read of
    /// an exchange by this (its total stays bounded by the exchange's and the scan's limits),
    /// so the first byte's wait is the first read's.
    #[must_use]
    pub fn with_first_byte_timeout(mut self, first_byte: Duration) -> Self {
        self.limits.read_timeout = first_byte.max(Duration::from_millis(100));
        self
    }

    /// The SNI name hellos carry.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// TCP connections opened so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// What retries with plainer hellos taught about this server (see
    /// [`super::refusal::ask_plainer`]).
    pub fn forms(&self) -> &super::refusal::FormMemo {
        &self.forms
    }

    /// True once the cap fell to one connection at a time.
    pub fn reduced(&self) -> bool {
        self.reduced.load(Ordering::Relaxed)
    }

    /// Time left before the survey must end.
    pub fn time_left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Limits for one exchange: the defaults, cut to the time left.
    pub fn limits(&self) -> Limits {
        let left = self.time_left();
        let mut limits = self.limits;
        limits.read_timeout = limits.read_timeout.min(left);
        limits.total_timeout = limits.total_timeout.min(left);
        limits
    }

    /// Waits for a connection slot.
    pub async fn slot(&self) -> Slot<'_> {
        // The semaphore is never closed, so acquire cannot fail.
        Slot(
            self.slots
                .acquire()
                .await
                .expect("the prober's semaphore is never closed"),
        )
    }

    /// Adds the SNI name (when there is one) to `hello`, unless it is a TLS hello sent with
    /// no extension block at all (a [`super::refusal::Form::Bare`] retry for a server that
    /// refuses every extension: SNI would be one).
    pub fn named(&self, hello: ClientHello) -> ClientHello {
        if hello.omit_empty_extensions
            && hello.extensions.is_empty()
            && hello.legacy_version > 0x0300
        {
            return hello;
        }
        match &self.server_name {
            Some(name) => hello.with_server_name(name),
            None => hello,
        }
    }

    /// Sends `hello` (SNI added) and reads the server's flight; retried once, one connection
    /// at a time, after a transient failure.
    pub async fn send(&self, hello: &ClientHello) -> ServerFlight {
        self.send_as_is(&self.named(hello.clone())).await
    }

    /// Like [`Prober::send`], for a hello sent exactly as given (no SNI added): a real
    /// client's hello in the handshake simulation.
    pub async fn send_as_is(&self, hello: &ClientHello) -> ServerFlight {
        let bytes = hello.to_bytes();
        // Nothing follows the hello: half-close, unless this server showed it cannot take it.
        // Whether to ask again is decided by how *this* hello was sent: a concurrent hello may
        // turn the flag off while this one is in flight, and reading the flag afterwards took
        // this one's silent close for a refusal (against Erlang/OTP, which drops half-closed
        // connections only sometimes, a chain of the groups probe then ended at once).
        let half_close = self.half_close_works.load(Ordering::Relaxed);
        let flight = self.send_with(&bytes, half_close).await;
        if half_close && flight.bytes_received == 0 && flight.server_hello.is_none() {
            // Not a byte back: perhaps a server that drops a half-closed connection. Ask again
            // the ordinary way, and keep to it if that answers.
            let plain = self.send_with(&bytes, false).await;
            if plain.bytes_received > 0 {
                tracing::debug!(address = %self.address, "server drops half-closed connections; not half-closing");
                self.half_close_works.store(false, Ordering::Relaxed);
            }
            return plain;
        }
        flight
    }

    /// Like [`Prober::send`], for prepared bytes (SSL 2.0 hellos), without half-close.
    pub async fn send_bytes(&self, bytes: &[u8]) -> ServerFlight {
        self.send_with(bytes, false).await
    }

    async fn send_with(&self, bytes: &[u8], half_close: bool) -> ServerFlight {
        let first = {
            let _slot = self.slot().await;
            self.exchange_with(bytes, half_close)
                .await
                .map(|ex| ex.flight)
        };
        match first {
            Ok(flight) if !is_transient_end(&flight.end) || flight.server_hello.is_some() => flight,
            Ok(_) | Err(_) if self.time_left() > Duration::from_millis(500) => {
                self.reduce();
                let _slot = self.slot().await;
                match self.exchange_with(bytes, half_close).await {
                    Ok(ex) => ex.flight,
                    Err(e) => failed_flight(e),
                }
            }
            Ok(flight) => flight,
            Err(e) => failed_flight(e),
        }
    }

    /// Opens a connection, sends `bytes` and reads the flight, keeping the connection for a
    /// follow-up (heartbeat, early ChangeCipherSpec). The caller holds a [`Slot`].
    pub async fn exchange(&self, bytes: &[u8]) -> Result<Exchange<TcpStream>, WireError> {
        self.exchange_with(bytes, false).await
    }

    async fn exchange_with(
        &self,
        bytes: &[u8],
        half_close: bool,
    ) -> Result<Exchange<TcpStream>, WireError> {
        if self.time_left().is_zero() {
            return Err(WireError::Timeout {
                which: "total",
                waiting_for: "time left in the scan",
                elapsed: Duration::ZERO,
            });
        }
        self.connections.fetch_add(1, Ordering::Relaxed);
        let limits = Limits {
            half_close,
            ..self.limits()
        };
        connect_and_exchange(self.address, bytes, &limits).await
    }

    /// Opens a TCP connection for a probe that drives the handshake itself (the TLS 1.2
    /// client of `wire::tls12`), with the deadline its reads keep to. The caller holds a
    /// [`Slot`].
    pub async fn connect(&self) -> Result<(TcpStream, crate::wire::exchange::Deadline), WireError> {
        let limits = self.limits();
        if limits.total_timeout.is_zero() {
            return Err(WireError::Timeout {
                which: "total",
                waiting_for: "time left in the scan",
                elapsed: Duration::ZERO,
            });
        }
        self.connections.fetch_add(1, Ordering::Relaxed);
        let stream = tokio::time::timeout(limits.read_timeout, TcpStream::connect(self.address))
            .await
            .map_err(|_| WireError::Timeout {
                which: "per-read",
                waiting_for: "the TCP connection",
                elapsed: limits.read_timeout,
            })??;
        stream.set_nodelay(true)?;
        Ok((
            stream,
            crate::wire::exchange::Deadline::new(limits.read_timeout, limits.total_timeout),
        ))
    }

    /// Drops the cap to one connection at a time (once).
    fn reduce(&self) {
        if self.reduced.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::debug!(address = %self.address, "server struggles with parallel connections; going one at a time");
        let slots = self.slots.clone();
        let extra = u32::try_from(self.capacity - 1).unwrap_or(u32::MAX);
        if extra > 0 {
            // Take the extra permits for good as in-flight probes release them.
            tokio::spawn(async move {
                if let Ok(permits) = slots.acquire_many(extra).await {
                    permits.forget();
                }
            });
        }
    }
}

/// A reset, refusal or timeout: what an overloaded or one-at-a-time server produces.
fn is_transient(error: &WireError) -> bool {
    match error {
        WireError::Timeout { .. } => true,
        WireError::Io { kind, .. } => matches!(
            kind,
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}

fn is_transient_end(end: &FlightEnd) -> bool {
    matches!(end, FlightEnd::Error(e) if is_transient(e))
}

fn failed_flight(error: WireError) -> ServerFlight {
    crate::wire::FlightParser::new(&Limits::default()).finish(FlightEnd::Error(error), 0)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, TcpListener};
    use std::time::{Duration, Instant};

    use super::*;

    /// A server that drops half-closed connections without a word and answers others with
    /// an alert, in an order that makes the second of two half-closed hellos come back
    /// only after the first one's retry turned half-close off: it holds two half-closed
    /// connections, closes the first, answers the plain retry, then closes the second.
    fn drops_half_closed_in_turn() -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let address = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            let mut held = Vec::new();
            // Bounded: the test makes at most four connections.
            for _ in 0..4 {
                let Ok((mut stream, _)) = listener.accept() else {
                    return;
                };
                let mut header = [0u8; 5];
                if stream.read_exact(&mut header).is_err() {
                    continue;
                }
                let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
                if stream.read_exact(&mut body).is_err() {
                    continue;
                }
                // A half-closed connection reads its end at once; a plain one waits.
                let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
                let half_closed = matches!(stream.read(&mut [0u8; 1]), Ok(0));
                if half_closed {
                    held.push(stream);
                    if held.len() == 2 {
                        drop(held.remove(0));
                    }
                } else {
                    // handshake_failure; the second held connection is dropped a moment
                    // later, once the prober has read this answer and turned half-close off
                    // (the order the fix is about; only this server thread waits).
                    let _ = stream.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
                    drop(stream);
                    std::thread::sleep(Duration::from_millis(200));
                    held.clear();
                }
            }
        });
        address
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hello_sent_half_closed_is_asked_again_even_after_another_turned_it_off() {
        let address = drops_half_closed_in_turn();
        let prober = Prober::new(address, None, 4, Instant::now() + Duration::from_secs(20));
        let hello = ClientHello::for_version(shared::ProtocolVersion::Tls12, &[0xc02f]);
        let (first, second) = tokio::join!(prober.send(&hello), prober.send(&hello));
        assert!(
            first.bytes_received > 0 && second.bytes_received > 0,
            "both hellos must get the alert: {} and {} bytes",
            first.bytes_received,
            second.bytes_received
        );
        // Four connections: two half-closed, and one plain retry for each.
        assert_eq!(prober.connections(), 4);
    }
}
