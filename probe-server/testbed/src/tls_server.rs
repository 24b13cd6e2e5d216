//! In-process TLS servers (tokio-rustls) with an HTTP layer (hyper, HTTP/1.1 and h2), and a
//! plain-HTTP server for port-80 checks. Each listens on 127.0.0.1 on a free port and stops
//! when dropped.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::pki::Leaf;

/// What the HTTP layer answers to every request.
#[derive(Clone, Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    /// 200 with no extra headers.
    pub fn ok() -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: b"hello\n".to_vec(),
        }
    }

    /// 200 with a Strict-Transport-Security header.
    pub fn with_hsts(value: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("Strict-Transport-Security".into(), value.into())],
            body: b"hello\n".to_vec(),
        }
    }

    /// A 301 redirect to `location`.
    pub fn redirect(location: &str) -> Self {
        Self {
            status: 301,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }
}

/// How an in-process TLS server is set up.
#[derive(Debug)]
pub struct TlsServerSpec {
    /// The chain to send, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// A DER OCSP response to staple.
    pub ocsp: Option<Vec<u8>>,
    /// ALPN protocols offered, in preference order (empty: no ALPN).
    pub alpn: Vec<Vec<u8>>,
    /// Protocol versions (default: TLS 1.2 and 1.3).
    pub versions: Vec<&'static rustls::SupportedProtocolVersion>,
    pub answer: HttpAnswer,
}

impl TlsServerSpec {
    /// Serves `leaf`, followed by `intermediates`, with TLS 1.2 + 1.3, h2 and http/1.1.
    pub fn new(leaf: &Leaf, intermediates: &[CertificateDer<'static>]) -> Self {
        let mut chain = vec![leaf.cert_der.clone()];
        chain.extend(intermediates.iter().cloned());
        Self {
            chain,
            key: leaf.private_key(),
            ocsp: None,
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            answer: HttpAnswer::ok(),
        }
    }
}

/// A running in-process TLS server. Dropping it stops it.
#[derive(Debug)]
pub struct TlsServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl TlsServer {
    /// Binds 127.0.0.1:0 and serves `spec` until dropped.
    pub async fn start(spec: TlsServerSpec) -> Self {
        Self::start_on(spec, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` (a loopback address: 127.0.0.2 and up are there too, for sites with
    /// several addresses on one port) and serves `spec` until dropped.
    pub async fn start_on(spec: TlsServerSpec, addr: SocketAddr) -> Self {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&spec.versions)
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert_with_ocsp(spec.chain, spec.key, spec.ocsp.unwrap_or_default())
            .expect("server certificate and key");
        config.alpn_protocols = spec.alpn;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let answer = spec.answer;
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                counter.fetch_add(1, Ordering::Relaxed);
                let acceptor = acceptor.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve_http(TokioIo::new(tls), answer).await;
                    }
                });
            }
        });
        Self {
            addr,
            accepted,
            task,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A running plain-HTTP server (the port-80 side of a site). Dropping it stops it.
#[derive(Debug)]
pub struct HttpServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl HttpServer {
    /// Binds 127.0.0.1:0 and answers every request with `answer`.
    pub async fn start(answer: HttpAnswer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(serve_http(TokioIo::new(tcp), answer.clone()));
            }
        });
        Self {
            addr,
            task,
            accepted,
        }
    }

    /// TCP connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_http<I>(io: I, answer: HttpAnswer)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
        let answer = answer.clone();
        async move {
            let mut response = Response::builder().status(answer.status);
            for (name, value) in &answer.headers {
                response = response.header(name, value);
            }
            Ok::<_, Infallible>(
                response
                    .body(Full::new(Bytes::from(answer.body.clone())))
                    .expect("valid response"),
            )
        }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(io, service)
        .await;
}
