//! Posting an alert: `POST` of its JSON body to the watch's webhook, signed with
//! HMAC-SHA256 under the watch's secret (`X-Probe-Signature: sha256=HEX`, over the exact
//! body bytes), connected only where [`Egress::webhook`] allows (the scan targets' address
//! and port rules), bounded by one timeout for the whole exchange.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use hmac::{Hmac, Mac as _};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls_pki_types::ServerName;
use sha2::Sha256;
use tokio::net::TcpStream;

use super::WebhookUrl;
use crate::target::Host;
use crate::target::egress::{Egress, EgressError};

/// The header that carries the body's signature.
pub const SIGNATURE_HEADER: &str = "x-probe-signature";
/// The header that names the alert (the same on every retry: receivers can de-duplicate).
pub const ALERT_HEADER: &str = "x-probe-alert";
/// The most of a receiver's answer that is read.
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Egress(#[from] EgressError),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("the receiver answered HTTP {0}")]
    Status(u16),
    #[error("no answer within {:.1} s", .0.as_secs_f64())]
    Timeout(Duration),
}

impl DeliveryError {
    /// Whether trying again later may help (a refused URL will be refused again).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Url(_) | Self::Egress(EgressError::Port { .. } | EgressError::Address { .. }) => {
                false
            }
            Self::Status(status) => *status >= 500 || *status == 429 || *status == 408,
            _ => true,
        }
    }
}

/// What a delivery needs besides the alert.
#[derive(Debug, Clone)]
pub struct Poster {
    pub egress: Egress,
    /// The roots an `https://` receiver's certificate must chain to.
    pub roots: Arc<RootCertStore>,
    /// The longest one delivery (lookup, connection, request, answer) may take.
    pub timeout: Duration,
}

impl Poster {
    /// Posts `body` to `url`, signed under `secret`; `Ok` for a 2xx answer.
    pub async fn post(
        &self,
        url: &str,
        body: &str,
        secret: &str,
        alert_id: i64,
    ) -> Result<(), DeliveryError> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, self.post_unbounded(url, body, secret, alert_id))
            .await
            .map_err(|_| DeliveryError::Timeout(timeout))?
    }

    async fn post_unbounded(
        &self,
        url: &str,
        body: &str,
        secret: &str,
        alert_id: i64,
    ) -> Result<(), DeliveryError> {
        let url = WebhookUrl::parse(url).map_err(DeliveryError::Url)?;
        let endpoint = self
            .egress
            .webhook(&url.host, url.port, self.timeout)
            .await?;
        let tcp = TcpStream::connect(endpoint.address)
            .await
            .map_err(|e| DeliveryError::Connect(e.to_string()))?;
        let request = Request::post(url.path.as_str())
            .header(hyper::header::HOST, url.authority.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "tls-probe-webhook/1")
            .header(hyper::header::CONNECTION, "close")
            .header(SIGNATURE_HEADER, signature(secret, body.as_bytes()))
            .header(ALERT_HEADER, alert_id.to_string())
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| DeliveryError::Url(e.to_string()))?;
        let status = if url.https {
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| DeliveryError::Connect(e.to_string()))?
            .with_root_certificates(self.roots.clone())
            .with_no_client_auth();
            let name = match &url.host {
                Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
                Host::Name(name) => ServerName::try_from(name.clone())
                    .map_err(|e| DeliveryError::Url(e.to_string()))?,
            };
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| DeliveryError::Connect(format!("TLS: {e}")))?;
            send(TokioIo::new(tls), request).await?
        } else {
            send(TokioIo::new(tcp), request).await?
        };
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(DeliveryError::Status(status))
        }
    }
}

async fn send<I>(io: I, request: Request<Full<Bytes>>) -> Result<u16, DeliveryError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| DeliveryError::Connect(e.to_string()))?;
    tokio::spawn(conn);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| DeliveryError::Connect(e.to_string()))?;
    let status = response.status().as_u16();
    // Read (a bounded part of) the answer so the receiver sees a clean close.
    let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_rfc_4231s_hmac() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
