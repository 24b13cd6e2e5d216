//! The verified handshake: what a modern client (rustls, configured like a browser) sees.
//!
//! The certificate verifier records the chain and the stapled OCSP response instead of
//! judging them, so an expired or self-signed chain is still captured whole; `trust` judges
//! it afterwards. The handshake signatures are still verified against the presented key, so
//! the server has proven it holds the certificate's private key.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{
    ClientConfig, DigitallySignedStruct, HandshakeKind, SignatureScheme, SupportedProtocolVersion,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use shared::ProtocolVersion;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::tickets::{RecordingSessionStore, TicketsSeen};

/// What the server presented for verification.
#[derive(Debug, Default, Clone)]
struct Presented {
    chain: Vec<CertificateDer<'static>>,
    ocsp: Vec<u8>,
}

/// A verifier that records instead of judging (see the module docs).
#[derive(Debug)]
struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    presented: Mutex<Option<Presented>>,
}

impl RecordingVerifier {
    /// A verifier offering (as signature_algorithms) and checking with `provider`'s schemes.
    fn new(provider: Arc<CryptoProvider>) -> Arc<Self> {
        Arc::new(Self {
            provider,
            presented: Mutex::new(None),
        })
    }

    /// What the latest full handshake presented (and forgets it).
    fn take(&self) -> Presented {
        self.presented
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_default()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        let presented = Presented {
            chain,
            ocsp: ocsp_response.to_vec(),
        };
        // A poisoned lock only means another thread panicked mid-write; the value is still ours.
        *self
            .presented
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(presented);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Why a verified handshake did not happen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HandshakeFailure {
    /// TCP connect failed (refused, unreachable).
    Connect(String),
    /// TCP connected but TLS failed: the server's alert or the protocol error.
    Tls(TlsFailure),
    /// A step took too long.
    Timeout(&'static str, Duration),
}

impl std::fmt::Display for HandshakeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "TCP connect failed: {e}"),
            Self::Tls(e) => write!(f, "TLS handshake failed: {}", e.message),
            Self::Timeout(step, after) => {
                write!(f, "{step} timed out after {:.1} s", after.as_secs_f64())
            }
        }
    }
}

/// A TLS failure: what kind, for decisions, and what to tell the user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TlsFailure {
    pub kind: TlsFailureKind,
    pub message: String,
}

/// How a TLS handshake failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub(crate) enum TlsFailureKind {
    /// The server sent this alert.
    Alert(rustls::AlertDescription),
    /// No protocol version, suite or group in common.
    Incompatible(rustls::PeerIncompatible),
    /// The server sent something that is not valid TLS (or more than rustls takes).
    InvalidMessage(rustls::InvalidMessage),
    /// The server closed the connection mid-handshake.
    Closed,
    /// The server reset the connection mid-handshake.
    Reset,
    /// Anything else (certificate errors are recorded, not fatal, so they do not land here).
    Other,
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl TlsFailure {
    /// Whether the server refused the protocol version offered (as opposed to anything else):
    /// a `protocol_version` alert, a version it does not know, or none in common.
    pub(crate) fn refuses_version(&self) -> bool {
        matches!(
            self.kind,
            TlsFailureKind::Alert(rustls::AlertDescription::ProtocolVersion)
                | TlsFailureKind::InvalidMessage(rustls::InvalidMessage::UnknownProtocolVersion)
                | TlsFailureKind::Incompatible(
                    rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
                )
        )
    }
}

/// The default of [`VerifiedClient::with_first_byte_timeout`].
pub(crate) const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(4);

/// What the step is called when a server sends nothing after the ClientHello.
pub(crate) const FIRST_BYTE_STEP: &str = "the wait for the server's first byte";

/// The error a [`FirstByteDeadline`] read fails with.
#[derive(Debug, thiserror::Error)]
#[error("the server sent nothing within {:.1} s of the ClientHello", .0.as_secs_f64())]
pub(crate) struct FirstByteTimeout(pub Duration);

/// A stream whose reads fail (`TimedOut`, [`FirstByteTimeout`]) when nothing has arrived
/// `first_byte` after the first write — the ClientHello. A tarpit accepts connections and
/// never answers; without this it would hold the scan (and one of the probe's scan slots)
/// for the whole handshake timeout. Once the server has sent a byte the deadline is gone,
/// and a server that answers keeps the handshake's and the scan's whole time.
#[derive(Debug)]
pub(crate) struct FirstByteDeadline<S> {
    inner: S,
    first_byte: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    answered: bool,
}

impl<S> FirstByteDeadline<S> {
    pub(crate) fn new(inner: S, first_byte: Duration) -> Self {
        Self {
            inner,
            first_byte,
            timer: None,
            answered: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FirstByteDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.answered = true;
                    self.timer = None;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let first_byte = self.first_byte;
                if !self.answered
                    && let Some(timer) = self.timer.as_mut()
                    && timer.as_mut().poll(cx).is_ready()
                {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        FirstByteTimeout(first_byte),
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FirstByteDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) && !self.answered && self.timer.is_none()
        {
            self.timer = Some(Box::pin(tokio::time::sleep(self.first_byte)));
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The verified connection: TLS over TCP with the first-byte deadline.
pub(crate) type VerifiedStream = TlsStream<FirstByteDeadline<TcpStream>>;

/// A TLS error, or the first-byte deadline's timeout.
fn handshake_failure(error: &std::io::Error, first_byte: Duration) -> HandshakeFailure {
    if error
        .get_ref()
        .is_some_and(|e| e.downcast_ref::<FirstByteTimeout>().is_some())
    {
        HandshakeFailure::Timeout(FIRST_BYTE_STEP, first_byte)
    } else {
        HandshakeFailure::Tls(describe_tls_error(error))
    }
}

/// What the verified handshake saw.
#[derive(Debug)]
pub(crate) struct VerifiedHandshake {
    pub protocol: ProtocolVersion,
    /// IANA code point of the negotiated suite.
    pub cipher_suite_id: u16,
    /// rustls's name for it (IANA's, for TLS 1.3 after dropping the `TLS13_` prefix).
    pub cipher_suite: String,
    pub key_exchange_group: Option<String>,
    pub alpn: Option<String>,
    pub chain: Vec<CertificateDer<'static>>,
    pub ocsp: Vec<u8>,
    pub resumed: bool,
    /// The server accepted 0-RTT early data (a resumed TLS 1.3 handshake that offered it).
    pub early_data_accepted: bool,
    pub handshake_time: Duration,
    /// The open connection, for the HTTP request that follows.
    pub stream: VerifiedStream,
}

/// Which versions a handshake offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// TLS 1.3 and 1.2, resuming an earlier session when there is one.
    Modern,
    /// TLS 1.2 only, never resuming (so it cannot use up a TLS 1.3 ticket).
    Tls12Only,
}

/// A verified client, configured like a browser.
///
/// rustls resumes a session only with the very configuration objects (verifier, client-auth
/// resolver) that established it, so a client builds its configurations once and reuses
/// them. The verifier remembers the chain of the latest full handshake; a scan reads it right
/// after its first handshake, before starting any other.
#[derive(Clone, Debug)]
pub(crate) struct VerifiedClient {
    verifier: Arc<RecordingVerifier>,
    /// The modern configuration's session store (it records the TLS 1.3 tickets).
    tickets: Arc<RecordingSessionStore>,
    modern: Arc<ClientConfig>,
    tls12_only: Arc<ClientConfig>,
    first_byte: Duration,
}

impl VerifiedClient {
    /// A client with aws-lc-rs and post-quantum hybrid key exchange preferred (as Chrome and
    /// Firefox do), sending SNI when `send_sni`.
    pub(crate) fn new(send_sni: bool) -> Self {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = RecordingVerifier::new(provider.clone());
        let build = |versions: &[&'static SupportedProtocolVersion], resumption: Resumption| {
            let mut config = ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(versions)
                .expect("aws-lc-rs supports TLS 1.2 and 1.3")
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            config.enable_sni = send_sni;
            config.resumption = resumption;
            Arc::new(config)
        };
        let tickets = Arc::new(RecordingSessionStore::new(8));
        let mut modern = build(rustls::ALL_VERSIONS, Resumption::store(tickets.clone()));
        // Offer 0-RTT whenever a ticket allows it (only a resuming handshake can): whether
        // the server accepts it is the replay risk the report names. Nothing is ever written
        // as early data (tokio-rustls sends early data only when asked, and the stage never
        // asks), so the server is told "early data follows" and gets none: there is nothing
        // an attacker could replay, and the server's acceptance is already committed in its
        // EncryptedExtensions.
        Arc::make_mut(&mut modern).enable_early_data = true;
        let tls12_only = build(&[&rustls::version::TLS12], Resumption::disabled());
        Self {
            verifier,
            tickets,
            modern,
            tls12_only,
            first_byte: DEFAULT_FIRST_BYTE_TIMEOUT,
        }
    }

    /// The TLS 1.3 tickets the modern configuration has received so far.
    pub(crate) fn tickets_seen(&self) -> TicketsSeen {
        self.tickets.seen()
    }

    /// Gives up a handshake when the server has sent nothing `first_byte` after the
    /// ClientHello (see [`FirstByteDeadline`]).
    #[must_use]
    pub(crate) fn with_first_byte_timeout(mut self, first_byte: Duration) -> Self {
        self.first_byte = first_byte;
        self
    }

    /// Connects to `address` and handshakes as for `name`.
    pub(crate) async fn handshake(
        &self,
        address: SocketAddr,
        name: ServerName<'static>,
        offer: Offer,
        connect_timeout: Duration,
        handshake_timeout: Duration,
    ) -> Result<VerifiedHandshake, HandshakeFailure> {
        let config = match offer {
            Offer::Modern => self.modern.clone(),
            Offer::Tls12Only => self.tls12_only.clone(),
        };
        let started = Instant::now();
        let tcp = tokio::time::timeout(connect_timeout, TcpStream::connect(address))
            .await
            .map_err(|_| HandshakeFailure::Timeout("TCP connect", connect_timeout))?
            .map_err(|e| HandshakeFailure::Connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let tcp = FirstByteDeadline::new(tcp, self.first_byte);
        let connector = TlsConnector::from(config);
        let stream = tokio::time::timeout(handshake_timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| HandshakeFailure::Timeout("TLS handshake", handshake_timeout))?
            .map_err(|e| handshake_failure(&e, self.first_byte))?;
        let handshake_time = started.elapsed();

        let (_, conn) = stream.get_ref();
        let protocol = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => ProtocolVersion::Tls13,
            _ => ProtocolVersion::Tls12,
        };
        let suite = conn.negotiated_cipher_suite().map(|s| s.suite());
        let resumed = conn.handshake_kind() == Some(HandshakeKind::Resumed);
        // A resumed session presents no certificate: the chain stays with the first handshake.
        let Presented { chain, ocsp } = if resumed {
            Presented::default()
        } else {
            self.verifier.take()
        };
        Ok(VerifiedHandshake {
            protocol,
            cipher_suite_id: suite.map(u16::from).unwrap_or_default(),
            cipher_suite: suite
                .and_then(|s| s.as_str())
                .map(|s| s.replacen("TLS13_", "TLS_", 1))
                .unwrap_or_default(),
            key_exchange_group: conn
                .negotiated_key_exchange_group()
                .map(|g| group_name(g.name())),
            alpn: conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            chain,
            ocsp,
            resumed,
            early_data_accepted: conn.is_early_data_accepted(),
            handshake_time,
            stream,
        })
    }
}

impl VerifiedClient {
    /// Which protocol the server picks when offered only `protocol` by ALPN: `Some` of it
    /// when accepted, `None` when the server ignores ALPN, an error when it refuses
    /// (no_application_protocol) or the handshake fails.
    pub(crate) async fn alpn_probe(
        &self,
        address: SocketAddr,
        name: ServerName<'static>,
        protocol: &str,
        connect_timeout: Duration,
        handshake_timeout: Duration,
    ) -> Result<Option<String>, HandshakeFailure> {
        let mut config = (*self.modern).clone();
        config.alpn_protocols = vec![protocol.as_bytes().to_vec()];
        config.resumption = Resumption::disabled();
        let stream = self
            .connect(
                Arc::new(config),
                address,
                name,
                connect_timeout,
                handshake_timeout,
            )
            .await?;
        Ok(stream
            .get_ref()
            .1
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()))
    }

    /// The chain (and stapled OCSP response) the server presents to a client whose
    /// signature_algorithms are `provider`'s schemes alone: how a server holding several
    /// certificates is made to show each (it picks the certificate by the schemes offered).
    /// TLS 1.3 and 1.2 are offered as by the browser-like client, never resuming (a resumed
    /// session presents no certificate).
    pub(crate) async fn chain_offering(
        &self,
        provider: Arc<CryptoProvider>,
        address: SocketAddr,
        name: ServerName<'static>,
        connect_timeout: Duration,
        handshake_timeout: Duration,
    ) -> Result<(Vec<CertificateDer<'static>>, Vec<u8>), HandshakeFailure> {
        let verifier = RecordingVerifier::new(provider.clone());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| {
                HandshakeFailure::Tls(TlsFailure {
                    kind: TlsFailureKind::Other,
                    message: e.to_string(),
                })
            })?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        config
            .alpn_protocols
            .clone_from(&self.modern.alpn_protocols);
        config.enable_sni = self.modern.enable_sni;
        config.resumption = Resumption::disabled();
        let stream = self
            .connect(
                Arc::new(config),
                address,
                name,
                connect_timeout,
                handshake_timeout,
            )
            .await?;
        drop(stream);
        let Presented { chain, ocsp } = verifier.take();
        Ok((chain, ocsp))
    }

    /// TCP, then TLS with `config`, each in its time (and the first-byte deadline).
    async fn connect(
        &self,
        config: Arc<ClientConfig>,
        address: SocketAddr,
        name: ServerName<'static>,
        connect_timeout: Duration,
        handshake_timeout: Duration,
    ) -> Result<VerifiedStream, HandshakeFailure> {
        let tcp = tokio::time::timeout(connect_timeout, TcpStream::connect(address))
            .await
            .map_err(|_| HandshakeFailure::Timeout("TCP connect", connect_timeout))?
            .map_err(|e| HandshakeFailure::Connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let tcp = FirstByteDeadline::new(tcp, self.first_byte);
        tokio::time::timeout(
            handshake_timeout,
            TlsConnector::from(config).connect(name, tcp),
        )
        .await
        .map_err(|_| HandshakeFailure::Timeout("TLS handshake", handshake_timeout))?
        .map_err(|e| handshake_failure(&e, self.first_byte))
    }
}

/// IANA's name for a group (rustls writes some differently).
fn group_name(group: rustls::NamedGroup) -> String {
    match group {
        rustls::NamedGroup::X25519 => "x25519".into(),
        rustls::NamedGroup::X448 => "x448".into(),
        other => format!("{other:?}"),
    }
}

/// Says what went wrong in words, naming the server's alert when it sent one.
fn describe_tls_error(error: &std::io::Error) -> TlsFailure {
    let failure = |kind, message: String| TlsFailure { kind, message };
    if let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(alert) => failure(
                TlsFailureKind::Alert(*alert),
                format!("the server refused with alert {alert:?}"),
            ),
            rustls::Error::PeerIncompatible(why) => failure(
                TlsFailureKind::Incompatible(why.clone()),
                format!("no protocol or cipher suite in common with a modern client ({why:?})"),
            ),
            rustls::Error::InvalidMessage(why) => failure(
                TlsFailureKind::InvalidMessage(*why),
                format!("the server sent something that is not valid TLS ({why:?})"),
            ),
            other => failure(TlsFailureKind::Other, other.to_string()),
        };
    }
    match error.kind() {
        std::io::ErrorKind::UnexpectedEof => failure(
            TlsFailureKind::Closed,
            "the server closed the connection during the handshake".into(),
        ),
        std::io::ErrorKind::ConnectionReset => failure(
            TlsFailureKind::Reset,
            "the server reset the connection during the handshake".into(),
        ),
        _ => failure(TlsFailureKind::Other, error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_sends_nothing_fails_in_the_first_byte_timeout() {
        // Accepts, reads, never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let tarpit = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let first_byte = Duration::from_millis(300);
        let client = VerifiedClient::new(true).with_first_byte_timeout(first_byte);
        let started = Instant::now();
        let failure = client
            .handshake(
                address,
                ServerName::try_from("tarpit.test").unwrap(),
                Offer::Modern,
                Duration::from_secs(5),
                Duration::from_secs(20),
            )
            .await
            .unwrap_err();
        assert_eq!(
            failure,
            HandshakeFailure::Timeout(FIRST_BYTE_STEP, first_byte)
        );
        let took = started.elapsed();
        assert!(
            took >= first_byte && took < Duration::from_secs(3),
            "{took:?}"
        );
        tarpit.abort();
    }
}
