//! The HTTP side of TLS: the Strict-Transport-Security header served over the verified
//! connection, whether plain HTTP redirects to HTTPS, and fetching a missing intermediate
//! from an Authority Information Access URL. Every request is bounded in time and size.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use shared::{Hsts, PlainHttp};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Sent with every request, so operators can tell the probe in their logs.
pub(crate) const USER_AGENT: &str = concat!(
    "tls-probe/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/)"
);
/// The most header bytes accepted in a response.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most bytes of a server's header value a report keeps (HSTS, the redirect's
/// `Location`): reports are cached and served to everyone, and a server must not fill the
/// cache with 64 KiB headers. Longer values are cut, with [`TRUNCATED`] at the end.
pub(crate) const MAX_KEPT_HEADER_BYTES: usize = 1024;
/// What ends a header value cut to [`MAX_KEPT_HEADER_BYTES`].
pub(crate) const TRUNCATED: &str = "…[truncated]";

/// `value`, cut to at most [`MAX_KEPT_HEADER_BYTES`] (at a character boundary, the marker
/// included) when longer.
pub(crate) fn kept_header(value: &str) -> String {
    if value.len() <= MAX_KEPT_HEADER_BYTES {
        return value.to_owned();
    }
    let mut end = MAX_KEPT_HEADER_BYTES - TRUNCATED.len();
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED}", &value[..end])
}

/// The answer to `GET /` over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpsAnswer {
    pub status: u16,
    pub hsts: Option<Hsts>,
}

/// Sends `GET /` over an established TLS connection, speaking h2 when ALPN chose it.
pub(crate) async fn get_over_tls<S>(
    stream: S,
    h2: bool,
    authority: &str,
    timeout: Duration,
) -> Result<HttpsAnswer, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let work = async {
        let io = TokioIo::new(stream);
        let request = Request::get(format!("https://{authority}/"))
            .header(hyper::header::USER_AGENT, USER_AGENT)
            .header(hyper::header::ACCEPT, "*/*");
        let response = if h2 {
            let (mut sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
                .max_header_list_size(MAX_HEADER_BYTES as u32)
                .handshake(io)
                .await
                .map_err(|e| format!("HTTP/2 set-up failed: {e}"))?;
            tokio::spawn(conn);
            let request = request
                .body(Empty::<Bytes>::new())
                .map_err(|e| e.to_string())?;
            sender
                .send_request(request)
                .await
                .map_err(|e| format!("HTTP/2 request failed: {e}"))?
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
                .max_buf_size(MAX_HEADER_BYTES.max(8192))
                .handshake(io)
                .await
                .map_err(|e| format!("HTTP/1.1 set-up failed: {e}"))?;
            tokio::spawn(conn);
            let request = request
                .header(hyper::header::HOST, authority)
                .header(hyper::header::CONNECTION, "close")
                .body(Empty::<Bytes>::new())
                .map_err(|e| e.to_string())?;
            sender
                .send_request(request)
                .await
                .map_err(|e| format!("HTTP/1.1 request failed: {e}"))?
        };
        let hsts = response
            .headers()
            .get(hyper::header::STRICT_TRANSPORT_SECURITY)
            .map(|v| parse_hsts(&String::from_utf8_lossy(v.as_bytes())));
        Ok(HttpsAnswer {
            status: response.status().as_u16(),
            hsts,
        })
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("no HTTP answer within {:.1} s", timeout.as_secs_f64()))?
}

/// Sends `GET /` over plain HTTP to `address` (the site's port 80). `Ok(None)` when nothing
/// listens there.
pub(crate) async fn get_plain(
    address: SocketAddr,
    host: &str,
    timeout: Duration,
) -> Result<Option<PlainHttp>, String> {
    let work = async {
        let tcp = match TcpStream::connect(address).await {
            Ok(tcp) => tcp,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Ok(None),
            Err(e) => return Err(format!("cannot connect to {address}: {e}")),
        };
        let (status, location, _) = http1_get(tcp, host, "/", 0).await?;
        let redirects_to_https = status.is_redirection()
            && location.as_deref().is_some_and(|l| {
                l.get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            });
        Ok(Some(PlainHttp {
            status: status.as_u16(),
            location: location.as_deref().map(kept_header),
            redirects_to_https,
        }))
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        format!(
            "port 80 gave no HTTP answer within {:.1} s",
            timeout.as_secs_f64()
        )
    })?
}

/// Fetches up to `max_bytes` of `path` over plain HTTP from `address` (for AIA issuers).
pub(crate) async fn fetch_plain(
    address: SocketAddr,
    host: &str,
    path: &str,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let work = async {
        let tcp = TcpStream::connect(address)
            .await
            .map_err(|e| format!("cannot connect to {address}: {e}"))?;
        let (status, _, body) = http1_get(tcp, host, path, max_bytes).await?;
        if status != StatusCode::OK {
            return Err(format!("HTTP status {status}"));
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("no answer within {:.1} s", timeout.as_secs_f64()))?
}

async fn http1_get(
    tcp: TcpStream,
    host: &str,
    path: &str,
    max_body: usize,
) -> Result<(StatusCode, Option<String>, Vec<u8>), String> {
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MAX_HEADER_BYTES.max(8192))
        .handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("HTTP set-up failed: {e}"))?;
    tokio::spawn(conn);
    let request = Request::get(path)
        .header(hyper::header::HOST, host)
        .header(hyper::header::USER_AGENT, USER_AGENT)
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("HTTP request failed: {e}"))?;
    let status = response.status();
    let location = response
        .headers()
        .get(hyper::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = if max_body > 0 {
        Limited::new(response.into_body(), max_body)
            .collect()
            .await
            .map_err(|e| format!("reading the body failed: {e}"))?
            .to_bytes()
            .to_vec()
    } else {
        Vec::new()
    };
    Ok((status, location, body))
}

/// Parses a Strict-Transport-Security header value (RFC 6797 6.1). A header with a missing,
/// malformed or repeated max-age is invalid: `max_age` is then `None`.
pub(crate) fn parse_hsts(raw: &str) -> Hsts {
    let mut max_age = None;
    let mut max_age_seen = 0;
    let mut include_subdomains = false;
    let mut preload = false;
    for directive in raw.split(';') {
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("max-age") {
            max_age_seen += 1;
            max_age = value
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok());
        } else if name.eq_ignore_ascii_case("includeSubDomains") {
            include_subdomains = true;
        } else if name.eq_ignore_ascii_case("preload") {
            preload = true;
        }
    }
    if max_age_seen != 1 {
        max_age = None;
    }
    Hsts {
        // Judged on the whole value, kept in part.
        raw: kept_header(raw),
        max_age,
        include_subdomains,
        preload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_header_values_are_kept_in_part() {
        let hsts = parse_hsts(&format!("max-age=600; {}", "x".repeat(64 * 1024)));
        assert_eq!(hsts.max_age, Some(600));
        assert_eq!(hsts.raw.len(), MAX_KEPT_HEADER_BYTES);
        assert!(hsts.raw.ends_with(TRUNCATED));
        let wide = "é".repeat(2000);
        let kept = kept_header(&wide);
        assert!(kept.len() <= MAX_KEPT_HEADER_BYTES && kept.ends_with(TRUNCATED));
        assert_eq!(kept_header("max-age=1"), "max-age=1");
    }

    #[test]
    fn parses_hsts_like_rfc_6797() {
        let h = parse_hsts("max-age=31536000; includeSubDomains; preload");
        assert_eq!(
            (h.max_age, h.include_subdomains, h.preload),
            (Some(31_536_000), true, true)
        );
        let h = parse_hsts("MAX-AGE=\"600\"");
        assert_eq!(
            (h.max_age, h.include_subdomains, h.preload),
            (Some(600), false, false)
        );
        assert_eq!(parse_hsts("includeSubDomains").max_age, None);
        assert_eq!(parse_hsts("max-age=10; max-age=20").max_age, None);
        assert_eq!(parse_hsts("max-age=-1").max_age, None);
        assert_eq!(parse_hsts("max-age=").max_age, None);
        assert_eq!(parse_hsts("max-age=99999999999999999999999").max_age, None);
    }
}
