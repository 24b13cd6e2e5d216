//! A counting TCP relay: listens on 127.0.0.1:0, forwards every accepted connection to one
//! upstream server, and counts the connections (and the most in flight at once).
//!
//! Every tool scans a relay rather than the server, so the connection counts of all tools are
//! measured the same way, by the same code, and the relay's small overhead (one extra
//! loopback hop, one thread pair per connection) is the same for all of them.
//!
//! Optionally the relay adds network latency, so that loopback (where a round trip costs
//! nothing and only CPU counts) is not the only case measured: each byte reaches the other
//! side `latency` after it was sent (one way; the round trip is twice that), and a new
//! connection waits one round trip before its first byte is passed on, as a TCP handshake
//! over such a link would make it wait.

use std::collections::HashMap;
use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the relay waits for the upstream server to accept.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Counters since the last [`Relay::reset`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RelayCounts {
    /// TCP connections accepted from the client.
    pub(crate) accepted: u64,
    /// Of those, the ones the upstream server could not be reached for.
    pub(crate) upstream_failed: u64,
    /// The most connections in flight at once.
    pub(crate) peak: usize,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    accepted: AtomicU64,
    upstream_failed: AtomicU64,
    active: AtomicUsize,
    peak: AtomicUsize,
    next_id: AtomicU64,
    /// Both sockets of each live connection, to shut them down when the relay stops.
    live: Mutex<HashMap<u64, (TcpStream, TcpStream)>>,
    /// Keep the first bytes each client sends (its ClientHello), for `--trace`.
    capture: AtomicBool,
    captured: Mutex<Vec<Captured>>,
    /// Since when captured times count (the last reset).
    epoch: Mutex<Option<Instant>>,
    /// One-way delay added to everything relayed.
    latency: Duration,
}

/// One connection as captured: when it was accepted and when both sides were done (since the
/// last [`Relay::reset`]), and the first bytes the client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Captured {
    pub(crate) opened: Duration,
    pub(crate) closed: Duration,
    pub(crate) bytes: Vec<u8>,
}

/// How many bytes of each client's first flight are kept when capturing.
const CAPTURE_BYTES: usize = 16 * 1024;

/// A running relay. Dropping it stops the accept loop and shuts every relayed connection down.
#[derive(Debug)]
pub(crate) struct Relay {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Relay {
    /// Starts a relay on 127.0.0.1 (a free port) to `upstream`, adding `latency` one way.
    pub(crate) fn start(upstream: SocketAddr, latency: Duration) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            latency,
            ..Shared::default()
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("relay-{}", addr.port()))
                .spawn(move || accept_loop(&listener, upstream, &shared))?
        };
        Ok(Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Where clients connect.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Zeroes the counters (the peak starts again from the connections still in flight).
    pub(crate) fn reset(&self) {
        self.shared.accepted.store(0, Ordering::SeqCst);
        self.shared.upstream_failed.store(0, Ordering::SeqCst);
        self.shared
            .peak
            .store(self.shared.active.load(Ordering::SeqCst), Ordering::SeqCst);
        *self
            .shared
            .epoch
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// The counters since the last reset.
    pub(crate) fn counts(&self) -> RelayCounts {
        RelayCounts {
            accepted: self.shared.accepted.load(Ordering::SeqCst),
            upstream_failed: self.shared.upstream_failed.load(Ordering::SeqCst),
            peak: self.shared.peak.load(Ordering::SeqCst),
        }
    }

    /// Keep (or stop keeping) the first bytes of each connection from the client.
    pub(crate) fn capture(&self, on: bool) {
        self.shared.capture.store(on, Ordering::SeqCst);
    }

    /// The connections captured since the last call, in the order they were accepted.
    pub(crate) fn take_captured(&self) -> Vec<Captured> {
        let mut all = std::mem::take(
            &mut *self
                .shared
                .captured
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        all.sort_by_key(|c| c.opened);
        all
    }

    /// Connections in flight now.
    pub(crate) fn active(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept; the loop sees `stop` and ends without counting it.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let live = self
            .shared
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (client, server) in live.values() {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    for incoming in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = incoming else { continue };
        let accepted_at = Instant::now();
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let shared = shared.clone();
        // One thread per connection: it connects upstream (which may take a while when the
        // server is busy) without holding up the next accept.
        let spawned = std::thread::Builder::new()
            .name("relay-conn".into())
            .spawn(move || relay_one(client, accepted_at, upstream, &shared));
        if spawned.is_err() {
            // Out of threads: the connection was counted and is dropped (closed).
            continue;
        }
    }
}

fn relay_one(client: TcpStream, accepted_at: Instant, upstream: SocketAddr, shared: &Shared) {
    let active = shared.active.fetch_add(1, Ordering::SeqCst) + 1;
    shared.peak.fetch_max(active, Ordering::SeqCst);
    let _ = relay_streams(client, accepted_at, upstream, shared);
    shared.active.fetch_sub(1, Ordering::SeqCst);
}

fn relay_streams(
    client: TcpStream,
    accepted_at: Instant,
    upstream: SocketAddr,
    shared: &Shared,
) -> io::Result<()> {
    let latency = shared.latency;
    // The round trip of the TCP handshake the client would have waited for.
    std::thread::sleep(latency * 2);
    let server = match TcpStream::connect_timeout(&upstream, UPSTREAM_CONNECT_TIMEOUT) {
        Ok(server) => server,
        Err(e) => {
            shared.upstream_failed.fetch_add(1, Ordering::SeqCst);
            return Err(e);
        }
    };
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    shared
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, (client.try_clone()?, server.try_clone()?));
    if shared.stop.load(Ordering::SeqCst) {
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
    }
    let capture = shared.capture.load(Ordering::SeqCst);
    let upward = {
        let (from, to) = (client.try_clone()?, server.try_clone()?);
        std::thread::Builder::new()
            .name("relay-up".into())
            .spawn(move || pipe(from, to, capture, latency))?
    };
    pipe(server, client, false, latency);
    if let Ok(bytes) = upward.join()
        && capture
    {
        let epoch = shared
            .epoch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or(accepted_at);
        shared
            .captured
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Captured {
                opened: accepted_at.saturating_duration_since(epoch),
                closed: epoch.elapsed(),
                bytes,
            });
    }
    shared
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
    Ok(())
}

/// What a reading side hands its writing side when latency is added.
enum Chunk {
    Data(Instant, Vec<u8>),
    Eof(Instant),
    Failed,
}

/// Copies until EOF or error, then passes the EOF on (half-close), so a peer that closes its
/// sending side is seen closing by the other; each chunk `latency` after it was read. Returns
/// the first bytes copied when `capture`.
fn pipe(from: TcpStream, to: TcpStream, capture: bool, latency: Duration) -> Vec<u8> {
    if latency.is_zero() {
        pipe_direct(from, to, capture)
    } else {
        pipe_delayed(from, to, capture, latency)
    }
}

/// Keeps the first bytes of a flow.
fn keep(kept: &mut Vec<u8>, data: &[u8]) {
    if kept.len() < CAPTURE_BYTES {
        let room = CAPTURE_BYTES - kept.len();
        kept.extend_from_slice(&data[..data.len().min(room)]);
    }
}

/// [`pipe`] without latency: each chunk written as soon as read, on the reading thread.
fn pipe_direct(mut from: TcpStream, mut to: TcpStream, capture: bool) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let result = loop {
        match from.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if capture {
                    keep(&mut kept, &buf[..n]);
                }
                if let Err(e) = to.write_all(&buf[..n]) {
                    break Err(e);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    match result {
        Ok(()) => {
            let _ = to.shutdown(Shutdown::Write);
        }
        // A reset on one side becomes a close of both (the closest a relay can pass it on).
        Err(_) => {
            let _ = to.shutdown(Shutdown::Both);
            let _ = from.shutdown(Shutdown::Both);
        }
    }
    kept
}

/// [`pipe`] with latency: a writer thread writes each chunk at its time.
fn pipe_delayed(mut from: TcpStream, to: TcpStream, capture: bool, latency: Duration) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let (sender, receiver) = std::sync::mpsc::channel::<Chunk>();
    let writer = {
        let to = to;
        let from = from.try_clone();
        std::thread::Builder::new()
            .name("relay-write".into())
            .spawn(move || write_chunks(&receiver, to, from.ok()))
    };
    let Ok(writer) = writer else {
        let _ = from.shutdown(Shutdown::Both);
        return kept;
    };
    loop {
        match from.read(&mut buf) {
            Ok(0) => {
                let _ = sender.send(Chunk::Eof(Instant::now() + latency));
                break;
            }
            Ok(n) => {
                if capture {
                    keep(&mut kept, &buf[..n]);
                }
                if sender
                    .send(Chunk::Data(Instant::now() + latency, buf[..n].to_vec()))
                    .is_err()
                {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                let _ = sender.send(Chunk::Failed);
                break;
            }
        }
    }
    drop(sender);
    let _ = writer.join();
    kept
}

/// Writes each chunk at its time; passes EOF on as a half-close, an error as a close of both.
fn write_chunks(
    chunks: &std::sync::mpsc::Receiver<Chunk>,
    mut to: TcpStream,
    from: Option<TcpStream>,
) {
    let wait_until = |at: Instant| {
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    };
    let close_both = |to: &TcpStream| {
        let _ = to.shutdown(Shutdown::Both);
        if let Some(from) = &from {
            let _ = from.shutdown(Shutdown::Both);
        }
    };
    for chunk in chunks {
        match chunk {
            Chunk::Data(at, data) => {
                wait_until(at);
                if to.write_all(&data).is_err() {
                    // A reset on one side becomes a close of both.
                    close_both(&to);
                    return;
                }
            }
            Chunk::Eof(at) => {
                wait_until(at);
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Chunk::Failed => {
                close_both(&to);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use super::*;

    /// An echo server that answers every connection on its own thread.
    fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 || stream.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    #[test]
    fn relays_bytes_and_counts_connections() {
        let relay = Relay::start(echo_server(), Duration::ZERO).unwrap();
        let mut streams = Vec::new();
        for i in 0..3u8 {
            let mut s = TcpStream::connect(relay.addr()).unwrap();
            s.write_all(&[i, i + 1]).unwrap();
            let mut back = [0u8; 2];
            s.read_exact(&mut back).unwrap();
            assert_eq!(back, [i, i + 1]);
            streams.push(s);
        }
        let counts = relay.counts();
        assert_eq!(counts.accepted, 3);
        assert_eq!(counts.peak, 3, "all three were open at once");
        drop(streams);
        relay.reset();
        assert_eq!(relay.counts().accepted, 0);
    }

    #[test]
    fn captures_what_clients_send_first() {
        let relay = Relay::start(echo_server(), Duration::ZERO).unwrap();
        relay.capture(true);
        let mut s = TcpStream::connect(relay.addr()).unwrap();
        s.write_all(b"hello").unwrap();
        let mut back = [0u8; 5];
        s.read_exact(&mut back).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let _ = s.read(&mut back);
        drop(s);
        for _ in 0..200 {
            if relay.active() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let captured = relay.take_captured();
        assert_eq!(captured.len(), 1);
        assert_eq!(captured[0].bytes, b"hello");
        assert!(captured[0].opened <= captured[0].closed);
    }

    #[test]
    fn latency_delays_each_way_and_the_connection() {
        let relay = Relay::start(echo_server(), Duration::from_millis(100)).unwrap();
        let started = Instant::now();
        let mut s = TcpStream::connect(relay.addr()).unwrap();
        s.write_all(b"ping").unwrap();
        let mut back = [0u8; 4];
        s.read_exact(&mut back).unwrap();
        let first = started.elapsed();
        // Connection round trip plus request round trip: 4 x 100 ms.
        assert!(first >= Duration::from_millis(400), "{first:?}");
        let again = Instant::now();
        s.write_all(b"pong").unwrap();
        s.read_exact(&mut back).unwrap();
        let second = again.elapsed();
        // One round trip, without the connection's: between 200 and 400 ms.
        assert!(second >= Duration::from_millis(200), "{second:?}");
        assert!(second < Duration::from_millis(390), "{second:?}");
    }

    #[test]
    fn an_unreachable_upstream_is_counted_and_closed() {
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let relay = Relay::start(closed, Duration::ZERO).unwrap();
        let mut s = TcpStream::connect(relay.addr()).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "closed without data");
        let counts = relay.counts();
        assert_eq!((counts.accepted, counts.upstream_failed), (1, 1));
    }

    #[test]
    fn dropping_the_relay_closes_live_connections() {
        let relay = Relay::start(echo_server(), Duration::ZERO).unwrap();
        let mut s = TcpStream::connect(relay.addr()).unwrap();
        s.write_all(b"x").unwrap();
        let mut back = [0u8; 1];
        s.read_exact(&mut back).unwrap();
        drop(relay);
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(s.read(&mut back).unwrap_or(0), 0, "closed by the relay");
    }
}
