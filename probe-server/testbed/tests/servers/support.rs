//! The client side of the testbed's own tests: the OpenSSL and GnuTLS command-line clients, and
//! a raw-bytes client written here again (not shared with the responders, so that a mistake
//! in one cannot cancel a mistake in the other).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `openssl s_client -connect ADDR ARGS…` with stdin closed; stdout and stderr together.
pub(crate) fn s_client(addr: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-connect", &addr.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Runs `gnutls-cli --insecure -p PORT HOST ARGS…` with stdin closed.
pub(crate) fn gnutls_cli(addr: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .args([
            "20",
            "gnutls-cli",
            "--insecure",
            "-p",
            &addr.port().to_string(),
        ])
        .args(args)
        .arg(addr.ip().to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run gnutls-cli");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// An HTTP/1.0 GET over TLS by `openssl s_client -quiet -ign_eof`: the response (headers
/// and body). (No curl: CI installs only openssl, gnutls-bin, nginx-light, iproute2.)
pub(crate) fn https_get(addr: SocketAddr, path: &str) -> String {
    let mut child = Command::new("timeout")
        .args([
            "20", "openssl", "s_client", "-quiet", "-ign_eof", "-connect",
        ])
        .arg(addr.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run openssl s_client");
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.as_bytes())
        .expect("send request");
    let out = child.wait_with_output().expect("s_client");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An HTTP/1.0 GET over plain TCP: the response.
pub(crate) fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

/// Whether a process with this PID still exists (a zombie counts as gone: it has exited).
pub(crate) fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Whether a network namespace of this exact name exists (`ip netns list`).
pub(crate) fn namespace_exists(name: &str) -> bool {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("run ip");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|line| line.split_whitespace().next() == Some(name))
}

/// Polls `condition` for up to `limit`.
pub(crate) fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    condition()
}

// ---------------------------------------------------------------------------------------------
// Raw ClientHellos (RFC 5246 §7.4.1.2; SSL 2.0: Hickman §2.5)

/// A ClientHello to build by hand.
#[derive(Clone, Debug)]
pub(crate) struct Hello {
    pub(crate) record_version: u16,
    pub(crate) version: u16,
    pub(crate) suites: Vec<u16>,
    pub(crate) compression: Vec<u8>,
    pub(crate) extensions: Option<Vec<(u16, Vec<u8>)>>,
}

impl Hello {
    /// `version`, these suites, null compression, no extensions block at all.
    pub(crate) fn new(version: u16, suites: &[u16]) -> Self {
        Self {
            record_version: 0x0301.min(version),
            version,
            suites: suites.to_vec(),
            compression: vec![0],
            extensions: None,
        }
    }

    /// Adds an extension.
    pub(crate) fn ext(mut self, kind: u16, body: &[u8]) -> Self {
        self.extensions
            .get_or_insert_with(Vec::new)
            .push((kind, body.to_vec()));
        self
    }

    /// supported_groups with these groups.
    pub(crate) fn groups(self, groups: &[u16]) -> Self {
        let mut body = u16_be((groups.len() * 2) as u16);
        groups.iter().for_each(|g| body.extend(u16_be(*g)));
        self.ext(10, &body)
    }

    /// signature_algorithms with these schemes.
    pub(crate) fn sigalgs(self, schemes: &[u16]) -> Self {
        let mut body = u16_be((schemes.len() * 2) as u16);
        schemes.iter().for_each(|s| body.extend(u16_be(*s)));
        self.ext(13, &body)
    }

    /// The whole first record.
    pub(crate) fn bytes(&self) -> Vec<u8> {
        let mut body = u16_be(self.version);
        body.extend((0..32u8).map(|i| i ^ 0x5a));
        body.push(0); // empty session id
        body.extend(u16_be((self.suites.len() * 2) as u16));
        self.suites.iter().for_each(|s| body.extend(u16_be(*s)));
        body.push(self.compression.len() as u8);
        body.extend(&self.compression);
        if let Some(extensions) = &self.extensions {
            let mut block = Vec::new();
            for (kind, data) in extensions {
                block.extend(u16_be(*kind));
                block.extend(u16_be(data.len() as u16));
                block.extend(data);
            }
            body.extend(u16_be(block.len() as u16));
            body.extend(block);
        }
        let mut message = vec![1];
        message.extend(&(body.len() as u32).to_be_bytes()[1..]);
        message.extend(body);
        record(22, self.record_version, &message)
    }
}

pub(crate) fn u16_be(v: u16) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// A TLS record.
pub(crate) fn record(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type];
    out.extend(u16_be(version));
    out.extend(u16_be(body.len() as u16));
    out.extend(body);
    out
}

/// An SSL 2.0 CLIENT-HELLO record offering `kinds` (3-byte cipher specs).
pub(crate) fn sslv2_client_hello(version: u16, kinds: &[u32]) -> Vec<u8> {
    let challenge: Vec<u8> = (1..=16).collect();
    let mut message = vec![1];
    message.extend(u16_be(version));
    message.extend(u16_be((kinds.len() * 3) as u16));
    message.extend(u16_be(0));
    message.extend(u16_be(challenge.len() as u16));
    kinds
        .iter()
        .for_each(|k| message.extend(&k.to_be_bytes()[1..]));
    message.extend(challenge);
    let mut out = vec![0x80 | (message.len() >> 8) as u8, message.len() as u8];
    out.extend(message);
    out
}

// ---------------------------------------------------------------------------------------------
// Reading replies

/// A record as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) content_type: u8,
    pub(crate) version: u16,
    pub(crate) body: Vec<u8>,
}

/// How reading stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The peer closed (FIN).
    Closed,
    /// Nothing arrived within the timeout.
    Silent,
    /// The connection was reset.
    Reset,
}

/// A connection to a test server.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        Self {
            stream,
            buffer: Vec::new(),
        }
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Reads more bytes into the buffer; how it ended if nothing came.
    fn fill(&mut self, timeout: Duration) -> Result<usize, End> {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("set timeout");
        let mut chunk = [0u8; 65536];
        let mut read = self.stream.read(&mut chunk);
        // Bounded: a signal interrupts a read at most a few times.
        for _ in 0..8 {
            match &read {
                Err(e) if e.kind() == ErrorKind::Interrupted => read = self.stream.read(&mut chunk),
                _ => break,
            }
        }
        match read {
            Ok(0) => Err(End::Closed),
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Ok(n)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(End::Silent)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                Err(End::Reset)
            }
            Err(e) => panic!("read: {e} ({:?})", e.kind()),
        }
    }

    /// The next whole TLS record, or how the stream ended.
    pub(crate) fn record(&mut self, timeout: Duration) -> Result<Record, End> {
        loop {
            if self.buffer.len() >= 5 {
                let len = usize::from(u16::from_be_bytes([self.buffer[3], self.buffer[4]]));
                if self.buffer.len() >= 5 + len {
                    let rest = self.buffer.split_off(5 + len);
                    let bytes = std::mem::replace(&mut self.buffer, rest);
                    return Ok(Record {
                        content_type: bytes[0],
                        version: u16::from_be_bytes([bytes[1], bytes[2]]),
                        body: bytes[5..].to_vec(),
                    });
                }
            }
            self.fill(timeout)?;
        }
    }

    /// Raw bytes: at least `n` (or fewer if the stream ends), and how it ended if it did.
    pub(crate) fn bytes(&mut self, n: usize, timeout: Duration) -> (Vec<u8>, Option<End>) {
        let mut end = None;
        while self.buffer.len() < n {
            if let Err(e) = self.fill(timeout) {
                end = Some(e);
                break;
            }
        }
        (std::mem::take(&mut self.buffer), end)
    }

    /// Everything until the stream ends, closes or falls silent.
    pub(crate) fn until_end(&mut self, timeout: Duration) -> (Vec<u8>, End) {
        loop {
            if let Err(end) = self.fill(timeout) {
                return (std::mem::take(&mut self.buffer), end);
            }
        }
    }

    /// The server's first flight: handshake messages up to ServerHelloDone and the version
    /// of the records that carried them, or the alert (record version, level, description)
    /// that came instead.
    pub(crate) fn flight(&mut self) -> Result<Flight, (u16, u8, u8)> {
        let mut stream = Vec::new();
        let mut flight = Flight::default();
        loop {
            let record = self
                .record(Duration::from_secs(10))
                .unwrap_or_else(|end| panic!("flight ended: {end:?}"));
            flight.record_version = record.version;
            match record.content_type {
                22 => stream.extend(record.body),
                21 => return Err((record.version, record.body[0], record.body[1])),
                other => panic!("unexpected record type {other}"),
            }
            while stream.len() >= 4 {
                let len = (usize::from(stream[1]) << 16)
                    | (usize::from(stream[2]) << 8)
                    | usize::from(stream[3]);
                if stream.len() < 4 + len {
                    break;
                }
                let rest = stream.split_off(4 + len);
                let message = std::mem::replace(&mut stream, rest);
                let kind = message[0];
                flight.messages.push((kind, message[4..].to_vec()));
                if kind == 14 {
                    return Ok(flight);
                }
            }
        }
    }
}

/// A server's first flight.
#[derive(Debug, Default)]
pub(crate) struct Flight {
    /// The record-layer version.
    pub(crate) record_version: u16,
    /// Handshake messages: type and body.
    pub(crate) messages: Vec<(u8, Vec<u8>)>,
}

impl Flight {
    /// The message types in order.
    pub(crate) fn types(&self) -> Vec<u8> {
        self.messages.iter().map(|(t, _)| *t).collect()
    }

    /// The body of the first message of this type.
    pub(crate) fn message(&self, kind: u8) -> &[u8] {
        self.messages
            .iter()
            .find(|(t, _)| *t == kind)
            .map(|(_, body)| body.as_slice())
            .unwrap_or_else(|| panic!("no handshake message of type {kind}"))
    }

    pub(crate) fn server_hello(&self) -> ServerHello {
        ServerHello::parse(self.message(2))
    }
}

/// A parsed ServerHello body.
#[derive(Debug)]
pub(crate) struct ServerHello {
    pub(crate) version: u16,
    pub(crate) random: Vec<u8>,
    pub(crate) suite: u16,
    pub(crate) compression: u8,
    pub(crate) extensions: Option<Vec<(u16, Vec<u8>)>>,
}

impl ServerHello {
    pub(crate) fn parse(body: &[u8]) -> Self {
        let version = u16::from_be_bytes([body[0], body[1]]);
        let random = body[2..34].to_vec();
        let sid_len = usize::from(body[34]);
        let mut at = 35 + sid_len;
        let suite = u16::from_be_bytes([body[at], body[at + 1]]);
        let compression = body[at + 2];
        at += 3;
        let extensions = (at < body.len()).then(|| {
            let total = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
            let block = &body[at + 2..at + 2 + total];
            let mut out = Vec::new();
            let mut i = 0;
            while i < block.len() {
                let kind = u16::from_be_bytes([block[i], block[i + 1]]);
                let len = usize::from(u16::from_be_bytes([block[i + 2], block[i + 3]]));
                out.push((kind, block[i + 4..i + 4 + len].to_vec()));
                i += 4 + len;
            }
            out
        });
        Self {
            version,
            random,
            suite,
            compression,
            extensions,
        }
    }

    pub(crate) fn extension(&self, kind: u16) -> Option<&[u8]> {
        self.extensions
            .as_ref()?
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, b)| b.as_slice())
    }
}

/// The certificates of a Certificate message body.
pub(crate) fn certificates(body: &[u8]) -> Vec<Vec<u8>> {
    let total = (usize::from(body[0]) << 16) | (usize::from(body[1]) << 8) | usize::from(body[2]);
    assert_eq!(total + 3, body.len(), "certificate_list length");
    let mut out = Vec::new();
    let mut i = 3;
    while i < body.len() {
        let len = (usize::from(body[i]) << 16)
            | (usize::from(body[i + 1]) << 8)
            | usize::from(body[i + 2]);
        out.push(body[i + 3..i + 3 + len].to_vec());
        i += 3 + len;
    }
    out
}

/// Reads a big-endian `opaque <1..2^16-1>` at `at`; returns it and the offset after it.
pub(crate) fn vec16(body: &[u8], at: usize) -> (&[u8], usize) {
    let len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    (&body[at + 2..at + 2 + len], at + 2 + len)
}
