//! Who may use the API.
//!
//! - **Host.** A probe on loopback answers only requests whose `Host` is a loopback name or
//!   address, one on another address only that address: a web page that rebinds its own
//!   name to the probe's address (DNS rebinding against the probe itself) sends its own name
//!   and is refused. `--allowed-host` names others (a reverse proxy that passes the public
//!   name on); on every address (0.0.0.0) it is required.
//! - **Origin (CORS).** Browsers name the page or extension behind a request in `Origin`. Only
//!   browser extensions are served: `chrome-extension://ID` and `moz-extension://ID`, for the
//!   ids in `--extension-id`, or any extension when none is given. Any other origin — every
//!   web page — is refused with 403, and requests a web page makes a browser send without an
//!   `Origin` (an `<img>`, a `no-cors` fetch, a link) are recognised by their `Sec-Fetch-*`
//!   headers and refused too. An allowed origin is echoed back, never `*`.
//! - **Path.** Every decision here is taken on the path the router serves: a path that is not
//!   in its one canonical spelling (percent-escapes, `//`, dot segments, a trailing `/`, `;`,
//!   backslashes) is refused with 400 before anything else (see [`why_not_canonical`]).
//! - **Token.** With `--token`, every path wants `Authorization: Bearer TOKEN`, compared in
//!   constant time, except the public routes of [`super::ROUTES`] (`/healthz`, `/readyz`),
//!   which stay open for health checks; `/healthz` refuses a token that is sent and wrong, so
//!   a client can test its token there. Unknown paths want the token too (default-deny).
//!
//! Tools that are not browsers (curl, monitoring) send neither `Origin` nor `Sec-Fetch-*` and
//! are subject to the token alone.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use shared::ErrorCode;

use super::AppState;
use super::api_error::ApiFailure;
use super::metrics::Refusal;

/// The longest request URL (path and query) served; a host name is at most 253 bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// Who may ask, with the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessConfig {
    /// The API token (`Authorization: Bearer`); `None`: no token needed.
    pub token: Option<String>,
    /// Extension ids whose origins are served; empty: any `chrome-extension://` or
    /// `moz-extension://` origin.
    pub extension_ids: Vec<String>,
    /// `Host` names served (without port; `*` for any); empty: loopback names when listening
    /// on a loopback address (or on every address), else the listening address itself.
    pub allowed_hosts: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
}

/// The schemes of extension origins.
const EXTENSION_SCHEMES: [&str; 2] = ["chrome-extension://", "moz-extension://"];

/// Access rules compiled from an [`AccessConfig`] and the listening address.
#[derive(Debug)]
pub struct Access {
    token_digest: Option<[u8; 32]>,
    origins: Option<Vec<String>>,
    hosts: Option<Vec<String>>,
    trusted_proxies: Vec<IpNet>,
}

impl Access {
    pub fn new(config: &AccessConfig, listen: SocketAddr) -> Self {
        let origins = (!config.extension_ids.is_empty()).then(|| {
            config
                .extension_ids
                .iter()
                .flat_map(|id| {
                    let id = id.trim().to_ascii_lowercase();
                    EXTENSION_SCHEMES.map(|scheme| format!("{scheme}{id}"))
                })
                .collect()
        });
        let hosts = if config.allowed_hosts.iter().any(|h| h == "*") {
            None
        } else if !config.allowed_hosts.is_empty() {
            Some(
                config
                    .allowed_hosts
                    .iter()
                    .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                    .collect(),
            )
        } else if listen.ip().is_loopback() || listen.ip().is_unspecified() {
            // On every address the configuration names the hosts (`serve` refuses to start
            // without); a server built without them answers loopback names only.
            Some(
                ["localhost", "127.0.0.1", "[::1]"]
                    .map(str::to_owned)
                    .to_vec(),
            )
        } else {
            // A LAN probe answers its own address only: a web page that rebinds its name to
            // that address sends its own name and is refused.
            Some(vec![match listen.ip() {
                IpAddr::V6(v6) => format!("[{v6}]"),
                v4 => v4.to_string(),
            }])
        };
        Self {
            token_digest: config.token.as_deref().map(digest),
            origins,
            hosts,
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }

    pub fn wants_token(&self) -> bool {
        self.token_digest.is_some()
    }

    /// Whether `origin` is an extension origin this probe serves.
    pub fn allows_origin(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        match &self.origins {
            Some(list) => list.contains(&origin),
            None => EXTENSION_SCHEMES.iter().any(|scheme| {
                origin.strip_prefix(scheme).is_some_and(|id| {
                    !id.is_empty()
                        && id
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                })
            }),
        }
    }

    /// Whether the `Host` header's host part is served.
    pub fn allows_host(&self, host: &str) -> bool {
        let Some(list) = &self.hosts else {
            return true;
        };
        let host = host.trim().to_ascii_lowercase();
        let name = match host.strip_prefix('[') {
            Some(rest) => rest
                .split_once(']')
                .map_or(host.as_str(), |(inside, _)| &host[..inside.len() + 2]),
            None => host.split(':').next().unwrap_or_default(),
        };
        let name = name.trim_end_matches('.');
        list.iter().any(|allowed| allowed == name)
    }

    /// `Ok` when `authorization` carries the token (or none is needed).
    pub fn check_token(&self, authorization: Option<&str>) -> Result<(), ApiFailure> {
        let Some(expected) = &self.token_digest else {
            return Ok(());
        };
        let presented = authorization.and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        match presented {
            None => Err(ApiFailure::new(
                ErrorCode::Unauthorized,
                "this probe wants an API token: send Authorization: Bearer TOKEN",
            )),
            // Comparing digests keeps the time independent of where the tokens differ and
            // of the expected token's length.
            Some(token) if constant_time_eq(&digest(token), expected) => Ok(()),
            Some(_) => Err(ApiFailure::new(
                ErrorCode::Unauthorized,
                "the API token is wrong",
            )),
        }
    }

    /// The client a request counts against: the peer, or — when the peer is a trusted proxy —
    /// who `X-Forwarded-For` says connected to it.
    ///
    /// The header is read from the right: each trusted proxy appended the address that
    /// connected to it, so the first entry (from the right) that is not a trusted proxy is
    /// the client, and whatever lies left of it is the client's own say and ignored. If the
    /// walk meets an entry that is not an address before it finds the client, the client is
    /// the last address walked over (the hop that sent the junk); if every entry is a
    /// trusted proxy, the leftmost one. Only when the proxy itself wrote no usable address
    /// is the peer the client. IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, what a
    /// dual-stack listener reports) count as their IPv4 address, for the trust check too.
    pub fn client_of(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> ClientKey {
        let peer = canonical_ip(peer.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return ClientKey::of(peer);
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        let mut last_hop = None;
        for entry in forwarded.iter().rev() {
            let Some(ip) = forwarded_address(entry) else {
                break;
            };
            if !trusted(&ip) {
                return ClientKey::of(ip);
            }
            last_hop = Some(ip);
        }
        ClientKey::of(last_hop.unwrap_or(peer))
    }
}

/// An IPv4-mapped IPv6 address as its IPv4 address; any other as it is.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry as an address: `192.0.2.1`, `2001:db8::1`, and the forms
/// some proxies write, `192.0.2.1:4711`, `[2001:db8::1]` and `[2001:db8::1]:4711`.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse::<Ipv6Addr>().ok())
                .map(IpAddr::V6)
        })?;
    Some(canonical_ip(ip))
}

/// The client a request counts against: an IPv4 address, or an IPv6 /64 (one site's
/// network, which one client can fill with addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(pub IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let bits = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(Ipv6Addr::from(bits)))
                }
            },
        }
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
            v4 => write!(f, "{v4}"),
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equality whose time does not depend on where `a` and `b` differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// What a request from a browser page says about itself.
fn made_by_a_web_page(headers: &HeaderMap) -> bool {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    let other_site = matches!(
        get("sec-fetch-site").as_deref(),
        Some("cross-site" | "same-site")
    );
    let not_cors = matches!(
        get("sec-fetch-mode").as_deref(),
        Some("no-cors" | "navigate" | "nested-navigate" | "websocket")
    );
    other_site && not_cors
}

/// Whether a request comes with a body (refused, not read, except where a route takes one:
/// `routes::takes_a_body`).
fn announces_a_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0");
    length || headers.contains_key(header::TRANSFER_ENCODING)
}

/// The paths that want the token: every path but the public routes' (default-deny, so a
/// route added later, or a path the router would map somewhere unexpected, is closed).
fn wants_token(path: &str) -> bool {
    !super::routes::is_public(path)
}

/// Why `path` (the raw request path, before any decoding) is not canonical, if it is not.
///
/// actix's router matches the percent-decoded path, so a decision taken on the raw path
/// (which routes are public) could be taken on a different path than the one served:
/// `/%61pi/v1/probe` is served as `/api/v1/probe`. Rather than decode and hope both sides
/// decode alike, only the one spelling that every decoder and normaliser leaves as it is
/// gets through: `/`-separated segments of unreserved characters, none empty, none `.` or
/// `..`, no trailing `/`. Every route is such a path.
pub fn why_not_canonical(path: &str) -> Option<&'static str> {
    if path == "/" {
        return None;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Some("the path must start with /");
    };
    if path.contains('%') {
        return Some("percent-escapes are not served in paths");
    }
    if path.contains('\\') {
        return Some("backslashes are not served in paths");
    }
    if path.contains(';') {
        return Some("path parameters (;) are not served");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/'))
    {
        return Some("the path holds characters outside A-Z a-z 0-9 - . _ ~ /");
    }
    for segment in rest.split('/') {
        match segment {
            "" => return Some("empty path segments (// or a trailing /) are not served"),
            "." | ".." => return Some("dot segments (. and ..) are not served"),
            _ => {}
        }
    }
    None
}

fn refuse(state: &AppState, why: Refusal, failure: ApiFailure) -> HttpResponse {
    state.metrics.refused(why);
    failure.error_response()
}

/// The access middleware (see the module docs); also logs each request and counts its
/// response.
pub async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("no app state"));
    };
    let access = &state.access;
    let headers = request.headers();
    let client = access.client_of(request.peer_addr().map(|a| a.ip()), headers);
    request.extensions_mut().insert(client);
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allowed_origin = origin.as_deref().filter(|o| access.allows_origin(o));
    let path = request.path().to_owned();
    // The Host header itself (or HTTP/2's authority), never X-Forwarded-Host: a page that
    // rebinds its name to the probe may set that one, not Host.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(ToString::to_string))
        .unwrap_or_default();

    let refusal: Option<HttpResponse> = if request.uri().to_string().len() > MAX_URL_BYTES {
        Some(refuse(
            &state,
            Refusal::BadRequest,
            ApiFailure::new(
                ErrorCode::BadRequest,
                format!("the URL is longer than {MAX_URL_BYTES} bytes"),
            ),
        ))
    } else if let Some(why) = why_not_canonical(request.uri().path()) {
        Some(refuse(
            &state,
            Refusal::BadRequest,
            ApiFailure::new(
                ErrorCode::BadRequest,
                format!("{why}: ask for the path as the API documents it"),
            ),
        ))
    } else if announces_a_body(headers) && !super::routes::takes_a_body(request.method(), &path) {
        Some(refuse(
            &state,
            Refusal::BadRequest,
            ApiFailure::new(ErrorCode::BadRequest, "this API takes no request body"),
        ))
    } else if !access.allows_host(&host) {
        Some(refuse(
            &state,
            Refusal::Host,
            ApiFailure::new(
                ErrorCode::Forbidden,
                format!(
                    "this probe does not serve the host {host:?} (the operator can allow it \
                     with --allowed-host)"
                ),
            ),
        ))
    } else if origin.is_some() && allowed_origin.is_none() {
        Some(refuse(
            &state,
            Refusal::Origin,
            ApiFailure::new(
                ErrorCode::Forbidden,
                "this probe serves its browser extension, not web pages",
            ),
        ))
    } else if origin.is_none() && made_by_a_web_page(headers) {
        Some(refuse(
            &state,
            Refusal::Origin,
            ApiFailure::new(
                ErrorCode::Forbidden,
                "this probe does not answer requests that web pages make the browser send",
            ),
        ))
    } else if request.method() == Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        Some(preflight())
    } else if wants_token(&path) {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        access
            .check_token(authorization)
            .err()
            .map(|failure| refuse(&state, Refusal::Unauthorized, failure))
    } else if path == "/healthz" && headers.contains_key(header::AUTHORIZATION) {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        access
            .check_token(authorization)
            .err()
            .map(|failure| refuse(&state, Refusal::Unauthorized, failure))
    } else {
        None
    };

    let allowed_origin = allowed_origin.map(str::to_owned);
    let mut response = match refusal {
        Some(response) => request.into_response(response).map_into_right_body(),
        None => next.call(request).await?.map_into_left_body(),
    };
    if let Some(origin) = allowed_origin {
        add_cors_headers(response.headers_mut(), &origin);
    } else {
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
    }
    let status = response.status();
    state.metrics.responded(status.as_u16());
    let request = response.request();
    let level_error = status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE;
    if level_error {
        tracing::warn!(
            client = %client,
            method = %request.method(),
            path = %request.path(),
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
    } else {
        tracing::info!(
            client = %client,
            method = %request.method(),
            path = %request.path(),
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
    }
    Ok(response)
}

/// The answer to a CORS preflight from an allowed origin (CORS headers are added after).
fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Accept, Cache-Control, Pragma",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        // Chrome's Private Network Access preflight, for a probe on a private address.
        .insert_header(("Access-Control-Allow-Private-Network", "true"))
        .finish()
}

fn add_cors_headers(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After, Age, X-Cache"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn access(config: AccessConfig, listen: &str) -> Access {
        Access::new(&config, listen.parse().unwrap())
    }

    #[test]
    fn any_extension_origin_by_default_never_web_pages() {
        let a = access(AccessConfig::default(), "127.0.0.1:7443");
        assert!(a.allows_origin("chrome-extension://abcdefghijklmnopabcdefghijklmnop"));
        assert!(a.allows_origin("moz-extension://0b5e7c42-7d4a-4b7e-9c1e-3a2b1c0d9e8f"));
        for origin in [
            "https://evil.example",
            "http://127.0.0.1:7443",
            "null",
            "chrome-extension://",
            "chrome-extension://a/b",
            "file://",
        ] {
            assert!(!a.allows_origin(origin), "{origin}");
        }
    }

    #[test]
    fn pinned_extension_ids() {
        let a = access(
            AccessConfig {
                extension_ids: vec!["abcdefghijklmnopabcdefghijklmnop".into()],
                ..AccessConfig::default()
            },
            "0.0.0.0:7443",
        );
        assert!(a.allows_origin("chrome-extension://abcdefghijklmnopabcdefghijklmnop"));
        assert!(a.allows_origin("moz-extension://abcdefghijklmnopabcdefghijklmnop"));
        assert!(!a.allows_origin("chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba"));
    }

    #[test]
    fn hosts_default_to_loopback_names_on_loopback() {
        let a = access(AccessConfig::default(), "127.0.0.1:7443");
        for host in [
            "127.0.0.1:7443",
            "localhost:7443",
            "LOCALHOST",
            "[::1]:7443",
        ] {
            assert!(a.allows_host(host), "{host}");
        }
        for host in [
            "evil.example:7443",
            "127.0.0.1.evil.example",
            "[::2]:7443",
            "",
        ] {
            assert!(!a.allows_host(host), "{host}");
        }
        // On a LAN address: that address only (DNS rebinding against a LAN probe).
        let lan = access(AccessConfig::default(), "192.168.1.5:7443");
        assert!(lan.allows_host("192.168.1.5:7443"));
        assert!(!lan.allows_host("evil.example:7443"));
        assert!(!lan.allows_host("localhost:7443"));
        let lan6 = access(AccessConfig::default(), "[fd00::5]:7443");
        assert!(lan6.allows_host("[fd00::5]:7443"));
        assert!(!lan6.allows_host("[fd00::6]:7443"));
        // Every address, no names given: loopback names only.
        let any = access(AccessConfig::default(), "0.0.0.0:7443");
        assert!(!any.allows_host("probe.example"));
        assert!(any.allows_host("127.0.0.1:7443"));
        let star = access(
            AccessConfig {
                allowed_hosts: vec!["*".into()],
                ..AccessConfig::default()
            },
            "0.0.0.0:7443",
        );
        assert!(star.allows_host("probe.example"));
        let named = access(
            AccessConfig {
                allowed_hosts: vec!["probe.example".into()],
                ..AccessConfig::default()
            },
            "127.0.0.1:7443",
        );
        assert!(named.allows_host("probe.example:443"));
        assert!(!named.allows_host("127.0.0.1:7443"));
    }

    #[test]
    fn tokens_are_bearer_and_exact() {
        let a = access(
            AccessConfig {
                token: Some("s3cret".into()),
                ..AccessConfig::default()
            },
            "127.0.0.1:1",
        );
        assert!(a.check_token(Some("Bearer s3cret")).is_ok());
        assert!(a.check_token(Some("bearer  s3cret ")).is_ok());
        for bad in [
            None,
            Some("s3cret"),
            Some("Bearer s3cre"),
            Some("Basic s3cret"),
        ] {
            let failure = a.check_token(bad).unwrap_err();
            assert_eq!(failure.code(), ErrorCode::Unauthorized);
        }
        let open = access(AccessConfig::default(), "127.0.0.1:1");
        assert!(open.check_token(None).is_ok());
    }

    #[test]
    fn clients_are_peers_or_what_trusted_proxies_say() {
        let a = access(
            AccessConfig {
                trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
                ..AccessConfig::default()
            },
            "127.0.0.1:1",
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.1.1.1"),
        );
        let ip = |t: &str| Some(t.parse::<IpAddr>().unwrap());
        // Behind the proxy: the last untrusted address; the client cannot forge past it.
        assert_eq!(
            a.client_of(ip("10.0.0.2"), &headers).0,
            ip("203.0.113.7").unwrap()
        );
        // Not from a trusted proxy: the header is ignored.
        assert_eq!(
            a.client_of(ip("198.51.100.1"), &headers).0,
            ip("198.51.100.1").unwrap()
        );
        // One junk entry does not make the client the proxy (nor anybody they like).
        let with = |value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_static(value),
            );
            h
        };
        let proxy = ip("10.0.0.2");
        for (header, client) in [
            ("junk, 203.0.113.7", "203.0.113.7"),
            ("203.0.113.7, junk", "10.0.0.2"),
            ("6.6.6.6, junk, 10.1.1.5", "10.1.1.5"),
            ("junk, 10.1.1.5, 10.0.0.3", "10.1.1.5"),
            ("10.1.1.5", "10.1.1.5"),
            ("203.0.113.7:4711", "203.0.113.7"),
            ("[2001:db8::7]:4711", "2001:db8::"),
            ("[2001:db8::7]", "2001:db8::"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
            ("", "10.0.0.2"),
        ] {
            assert_eq!(
                a.client_of(proxy, &with(header)).0,
                ip(client).unwrap(),
                "{header}"
            );
        }
        // A dual-stack listener reports the proxy as ::ffff:10.0.0.2: still trusted.
        assert_eq!(
            a.client_of(ip("::ffff:10.0.0.2"), &headers).0,
            ip("203.0.113.7").unwrap()
        );
        // IPv6 clients count by /64.
        let v6 = a.client_of(ip("2001:db8:1:2:3:4:5:6"), &HeaderMap::new());
        assert_eq!(v6.0, ip("2001:db8:1:2::").unwrap());
        assert_eq!(v6.to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn only_canonical_paths_pass() {
        for route in super::super::ROUTES {
            // A route with a parameter, as asked for (`/api/v1/watches/{id}` as `…/7`).
            let path = route.path.replace("{id}", "7");
            assert_eq!(why_not_canonical(&path), None, "{}", route.path);
        }
        assert_eq!(why_not_canonical("/"), None);
        assert_eq!(why_not_canonical("/no-such.thing_~x"), None);
        for path in [
            "/%61pi/v1/probe",
            "/%6Detrics",
            "/api%2Fv1/probe",
            "//api/v1/probe",
            "/api//v1/probe",
            "/api/./v1/probe",
            "/api/v2/../v1/probe",
            "/api/v1/probe/",
            "/api/v1/probe/.",
            "/api/v1/probe;x",
            "/metrics;",
            "\\metrics",
            "/api\\v1/probe",
            "/api/v1/pr obe",
            "/api/v1/pr\u{e9}obe",
            "*",
            "",
            "metrics",
        ] {
            assert!(why_not_canonical(path).is_some(), "{path}");
        }
    }

    #[test]
    fn every_path_wants_the_token_but_the_public_routes() {
        assert!(!wants_token("/healthz"));
        assert!(!wants_token("/readyz"));
        for path in [
            "/metrics",
            "/api/v1/probe",
            "/api/v1/probe/stream",
            "/",
            "/x",
            "/HEALTHZ",
        ] {
            assert!(wants_token(path), "{path}");
        }
    }

    #[test]
    fn web_page_requests_are_recognised() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
            }
            made_by_a_web_page(&h)
        };
        assert!(with(&[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "no-cors")
        ]));
        assert!(with(&[
            ("sec-fetch-site", "same-site"),
            ("sec-fetch-mode", "navigate")
        ]));
        // Typed into the address bar, or a tool that is not a browser.
        assert!(!with(&[
            ("sec-fetch-site", "none"),
            ("sec-fetch-mode", "navigate")
        ]));
        assert!(!with(&[]));
    }
}
