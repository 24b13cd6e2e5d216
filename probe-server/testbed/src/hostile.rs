//! Hostile servers for the probe's robustness tests: each misbehaves in one way a real
//! network can (a tarpit, garbage, an HTTP server on the TLS port, oversized or truncated
//! messages, a slow drip, a reset, an alert flood, absurd certificate chains).
//!
//! Every one listens on 127.0.0.1:0 on a thread of its own (see `background`), counts its
//! connections, cuts each connection off after its lifetime (10 s unless told otherwise) so
//! nothing it does is endless, and stops when dropped.
//!
//! Those that send a ServerHello first read the client's hello and answer it plausibly:
//! version min(client's, TLS 1.2), the client's first RSA-key-transport suite the responders
//! know (so that a Certificate may follow without a ServerKeyExchange), else its first suite.
//! A client offering only TLS 1.3 gets a TLS 1.2 ServerHello and will stop there.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, CustomExtension, DistinguishedName, DnType, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::background::Background;
use crate::crypto;
use crate::error::{Result, TestbedError};
use crate::legacy::certificate_message;
use crate::legacy::hello::{self, ClientHello, FirstMessage};
use crate::legacy::suites::{self, KeyExchange};
use crate::legacy::wire::{self, alert, content, handshake};

/// How a [`HostileServer`] misbehaves.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hostile {
    /// Accepts, reads and discards, never answers.
    Tarpit,
    /// Answers the first bytes with `len` random bytes, then closes.
    Garbage {
        /// How many bytes.
        len: usize,
    },
    /// Answers with an HTTP/1.1 400 response and closes, as an HTTP server on a TLS port.
    HttpResponse,
    /// Answers with a record header announcing 2^14 + 2048 + 1 bytes (one more than any TLS
    /// record may hold, RFC 5246 §6.2.3), followed by that many bytes.
    OversizedRecord,
    /// Sends a ServerHello, then a handshake header announcing a Certificate of 2^24 − 1 bytes
    /// and only `sent` bytes of it; then stays silent.
    HugeHandshake {
        /// How many bytes of the message body are sent (e.g. 8192).
        sent: usize,
    },
    /// Sends the first half of a ServerHello record (its header announces all of it), then
    /// closes.
    TruncatedHandshake,
    /// Sends a ServerHello flight one byte per `interval`, at most `max_bytes` bytes, then
    /// closes.
    Drip {
        /// The pause between bytes.
        interval: Duration,
        /// The total bytes sent.
        max_bytes: usize,
    },
    /// Sends the first 20 bytes of a ServerHello, then resets the connection (SO_LINGER 0).
    ResetMidHandshake,
    /// Sends warning alerts of `description` without end (until the connection's lifetime).
    AlertFlood {
        /// The alert description (e.g. 90, user_canceled).
        description: u8,
    },
    /// ServerHello, a Certificate holding a real chain of `count` certificates (each signed by
    /// the next), ServerHelloDone.
    LongChain {
        /// How many certificates (e.g. 100).
        count: usize,
    },
    /// ServerHello, a Certificate holding one self-signed certificate of at least `size` bytes
    /// (a real one, padded by a non-critical extension), ServerHelloDone.
    HugeCertificate {
        /// Its size in bytes (e.g. 1 MiB).
        size: usize,
    },
}

impl Hostile {
    /// The drip of the brief: one byte per second, 30 bytes.
    pub fn drip() -> Self {
        Self::Drip {
            interval: Duration::from_secs(1),
            max_bytes: 30,
        }
    }
}

/// A running hostile server on 127.0.0.1. Dropping it stops it.
#[derive(Debug)]
pub struct HostileServer {
    background: Background,
}

impl HostileServer {
    /// Starts `behaviour`, each connection cut off after 10 s.
    pub fn start(behaviour: Hostile) -> Result<Self> {
        Self::start_with_lifetime(behaviour, Duration::from_secs(10))
    }

    /// Starts `behaviour`, each connection cut off after `lifetime`.
    pub fn start_with_lifetime(behaviour: Hostile, lifetime: Duration) -> Result<Self> {
        let chain = Arc::new(match &behaviour {
            Hostile::LongChain { count } => long_chain(*count)?,
            Hostile::HugeCertificate { size } => vec![huge_certificate(*size)?],
            _ => Vec::new(),
        });
        let behaviour = Arc::new(behaviour);
        let background = Background::start("hostile", lifetime, move |stream| {
            let behaviour = behaviour.clone();
            let chain = chain.clone();
            async move {
                let _ = misbehave(stream, &behaviour, &chain).await;
            }
        })?;
        Ok(Self { background })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.background.addr()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.background.connections()
    }
}

async fn misbehave(
    mut stream: TcpStream,
    behaviour: &Hostile,
    chain: &[Vec<u8>],
) -> std::io::Result<()> {
    match behaviour {
        Hostile::Tarpit => drain(&mut stream).await,
        Hostile::Garbage { len } => {
            wait_for_bytes(&mut stream).await?;
            stream.write_all(&crypto::random_bytes(*len)).await?;
            stream.shutdown().await
        }
        Hostile::HttpResponse => {
            wait_for_bytes(&mut stream).await?;
            let body = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n</html>\r\n";
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).await?;
            stream.shutdown().await
        }
        Hostile::OversizedRecord => {
            let version = server_version(&read_hello(&mut stream).await?);
            let length = wire::MAX_FRAGMENT + 2048 + 1;
            let mut record = vec![content::HANDSHAKE];
            wire::put_u16(&mut record, version);
            wire::put_u16(&mut record, length as u16);
            record.extend(handshake_bytes(length));
            stream.write_all(&record).await?;
            drain(&mut stream).await
        }
        Hostile::HugeHandshake { sent } => {
            let hello = read_hello(&mut stream).await?;
            let version = server_version(&hello);
            let mut message = vec![handshake::CERTIFICATE, 0xff, 0xff, 0xff];
            message.extend(handshake_bytes(*sent));
            let mut out = server_hello_records(&hello);
            out.extend(wire::records(content::HANDSHAKE, version, &message));
            stream.write_all(&out).await?;
            drain(&mut stream).await
        }
        Hostile::TruncatedHandshake => {
            let record = server_hello_records(&read_hello(&mut stream).await?);
            stream.write_all(&record[..record.len() / 2]).await?;
            stream.shutdown().await
        }
        Hostile::Drip {
            interval,
            max_bytes,
        } => {
            let hello = read_hello(&mut stream).await?;
            let mut flight = server_hello_records(&hello);
            flight.extend(wire::records(
                content::HANDSHAKE,
                server_version(&hello),
                &wire::handshake_message(handshake::SERVER_HELLO_DONE, &[]),
            ));
            for byte in flight.iter().take(*max_bytes) {
                stream.write_all(&[*byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(*interval).await;
            }
            stream.shutdown().await
        }
        Hostile::ResetMidHandshake => {
            let record = server_hello_records(&read_hello(&mut stream).await?);
            stream.write_all(&record[..20.min(record.len())]).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
            drop(stream);
            Ok(())
        }
        Hostile::AlertFlood { description } => {
            let version = server_version(&read_hello(&mut stream).await?);
            let batch: Vec<u8> = (0..512)
                .flat_map(|_| wire::alert_record(version, alert::WARNING, *description))
                .collect();
            // Ends when the client goes or the connection's lifetime is over.
            loop {
                stream.write_all(&batch).await?;
            }
        }
        Hostile::LongChain { .. } | Hostile::HugeCertificate { .. } => {
            let hello = read_hello(&mut stream).await?;
            let version = server_version(&hello);
            let mut messages = certificate_message(chain);
            messages.extend(wire::handshake_message(handshake::SERVER_HELLO_DONE, &[]));
            let mut out = server_hello_records(&hello);
            out.extend(wire::records(content::HANDSHAKE, version, &messages));
            stream.write_all(&out).await?;
            drain(&mut stream).await
        }
    }
}

/// Reads and discards until the client closes (bounded by the connection's lifetime).
async fn drain(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut sink = [0u8; 4096];
    while stream.read(&mut sink).await? > 0 {}
    Ok(())
}

/// Waits until the client has sent something.
async fn wait_for_bytes(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut first = [0u8; 1024];
    if stream.read(&mut first).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Reads the client's hello (a malformed or missing one gets the defaults).
async fn read_hello(stream: &mut TcpStream) -> std::io::Result<ClientHello> {
    match hello::read_first(stream).await? {
        FirstMessage::Hello(hello) => Ok(hello),
        FirstMessage::Closed => Err(std::io::ErrorKind::UnexpectedEof.into()),
        _ => Ok(ClientHello {
            version: 0x0303,
            cipher_suites: vec![0x002f],
            ..ClientHello::default()
        }),
    }
}

/// min(client's version, TLS 1.2), at least TLS 1.0.
fn server_version(hello: &ClientHello) -> u16 {
    hello.version.clamp(0x0301, 0x0303)
}

/// A ServerHello record answering `hello` (RFC 5246 §7.4.1.3), without extensions.
fn server_hello_records(hello: &ClientHello) -> Vec<u8> {
    let version = server_version(hello);
    let known_rsa = |id: &&u16| {
        suites::suite(**id).is_some_and(|s| {
            s.kx == KeyExchange::Rsa && s.min.wire() <= version && version <= s.max.wire()
        })
    };
    let suite = hello
        .cipher_suites
        .iter()
        .find(known_rsa)
        .or_else(|| hello.cipher_suites.first())
        .copied()
        .unwrap_or(0x002f);
    let mut body = Vec::new();
    wire::put_u16(&mut body, version);
    body.extend(crypto::random_bytes(32));
    wire::put_vec8(&mut body, &[]);
    wire::put_u16(&mut body, suite);
    body.push(0);
    wire::records(
        content::HANDSHAKE,
        version,
        &wire::handshake_message(handshake::SERVER_HELLO, &body),
    )
}

/// Filler for oversized messages: a recognisable pattern.
fn handshake_bytes(len: usize) -> Vec<u8> {
    b"testbed-filler-"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

/// Certificate parameters with `name` as subject CN and DNS name.
fn named(name: String) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(vec![name.clone()])
        .map_err(|e| TestbedError::Config(format!("rcgen: {e}")))?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    Ok(params)
}

/// `count` certificates, each issued by the next; the last is self-signed.
fn long_chain(count: usize) -> Result<Vec<Vec<u8>>> {
    let rcgen_error = |e: rcgen::Error| TestbedError::Config(format!("rcgen: {e}"));
    let count = count.max(1);
    let mut issuer_key = KeyPair::generate().map_err(rcgen_error)?;
    let mut params =
        CertificateParams::new(vec![format!("ca{}.chain.test", count - 1)]).map_err(rcgen_error)?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let mut issuer =
        rcgen::CertifiedIssuer::self_signed(params, issuer_key).map_err(rcgen_error)?;
    let mut chain = vec![issuer.der().to_vec()];
    for i in (0..count - 1).rev() {
        let name = if i == 0 {
            "leaf.chain.test".to_owned()
        } else {
            format!("ca{i}.chain.test")
        };
        let mut params = named(name)?;
        if i > 0 {
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        }
        issuer_key = KeyPair::generate().map_err(rcgen_error)?;
        issuer =
            rcgen::CertifiedIssuer::signed_by(params, issuer_key, &issuer).map_err(rcgen_error)?;
        chain.push(issuer.der().to_vec());
    }
    chain.reverse();
    Ok(chain)
}

/// A self-signed certificate of at least `size` bytes: a non-critical extension (under the
/// private OID 1.3.6.1.4.1.55555.1) holds an OCTET STRING of filler.
fn huge_certificate(size: usize) -> Result<Vec<u8>> {
    let rcgen_error = |e: rcgen::Error| TestbedError::Config(format!("rcgen: {e}"));
    let key = KeyPair::generate().map_err(rcgen_error)?;
    let mut params = named("huge.chain.test".to_owned())?;
    params
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 55555, 1],
            crypto::der(0x04, &handshake_bytes(size)),
        ));
    Ok(params
        .self_signed(&key)
        .map_err(rcgen_error)?
        .der()
        .to_vec())
}
