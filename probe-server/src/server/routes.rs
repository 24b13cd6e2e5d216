//! The routes.
//!
//! | Route | Answer |
//! | --- | --- |
//! | `GET /api/v1/probe?host=H[&port=P][&sni=N][&endpoint=IP][&refresh=1][&quick=1]` | the report (JSON) |
//! | `GET /api/v1/probe/stream?host=H[&port=P][&sni=N][&endpoint=IP][&refresh=1]` | Server-Sent Events |
//! | `GET /api/v1/history?host=H[&port=P][&limit=N]` | the stored full scans of a host, newest first |
//! | `GET /api/v1/watches` | every watched site |
//! | `POST /api/v1/watches` `{"host","port"?,"every"?,"webhook"?}` | adds one (201, with its webhook secret) |
//! | `GET /api/v1/watches/{id}` | one watch and its alerts |
//! | `DELETE /api/v1/watches/{id}` | removes one |
//! | `GET /healthz` | `{"status":"ok","version":…}`: the process is up |
//! | `GET /readyz` | 200 while taking scans, 503 once a shutdown began |
//! | `GET /metrics` | Prometheus text |
//!
//! Answers from the cache carry `X-Cache: hit` and `Age`; a scan started by the request
//! `X-Cache: miss`; one joined `X-Cache: joined`.

use std::collections::HashSet;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::Serialize;
use shared::ErrorCode;

use super::AppState;
use super::access::ClientKey;
use super::api_error::ApiFailure;
use super::broker::{self, Answer, Ask};
use super::cache::{Flight, Outcome};
use super::metrics::Refusal;
use super::stream;
use crate::scan::ScanRequest;
use crate::target::Target;

/// One route the app serves: its path, whether it is open without the token, and its
/// handler. [`ROUTES`] is the one list: [`configure`] registers it, the access rules read
/// which paths are public from it, and the tests walk it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The canonical path (the only spelling served: see `access::why_not_canonical`).
    pub path: &'static str,
    /// Served without the token (health checks).
    pub public: bool,
    handler: Handler,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    Healthz,
    Readyz,
    Metrics,
    Probe,
    ProbeStream,
    History,
    Watches,
    Watch,
}

/// Every route. Anything not listed here as `public` wants the token (default-deny).
pub const ROUTES: &[Route] = &[
    Route {
        path: "/healthz",
        public: true,
        handler: Handler::Healthz,
    },
    Route {
        path: "/readyz",
        public: true,
        handler: Handler::Readyz,
    },
    Route {
        path: "/metrics",
        public: false,
        handler: Handler::Metrics,
    },
    Route {
        path: "/api/v1/probe",
        public: false,
        handler: Handler::Probe,
    },
    Route {
        path: "/api/v1/probe/stream",
        public: false,
        handler: Handler::ProbeStream,
    },
    Route {
        path: "/api/v1/history",
        public: false,
        handler: Handler::History,
    },
    Route {
        path: "/api/v1/watches",
        public: false,
        handler: Handler::Watches,
    },
    Route {
        path: "/api/v1/watches/{id}",
        public: false,
        handler: Handler::Watch,
    },
];

/// Whether `path` (canonical, as checked by the access guard) is served without the token.
pub(super) fn is_public(path: &str) -> bool {
    ROUTES
        .iter()
        .any(|route| route.public && route.path == path)
}

/// Whether `method` on `path` takes a request body (adding a watch); every other request
/// that announces one is refused before it is read.
pub(super) fn takes_a_body(method: &actix_web::http::Method, path: &str) -> bool {
    method == actix_web::http::Method::POST && path == "/api/v1/watches"
}

/// Registers every route of [`ROUTES`] and the JSON 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for route in ROUTES {
        let resource = web::resource(route.path).default_service(web::to(method_not_allowed));
        let get = web::get();
        cfg.service(match route.handler {
            Handler::Healthz => resource.route(get.to(healthz)),
            Handler::Readyz => resource.route(get.to(readyz)),
            Handler::Metrics => resource.route(get.to(metrics)),
            Handler::Probe => resource.route(get.to(probe)),
            Handler::ProbeStream => resource.route(get.to(probe_stream)),
            Handler::History => resource.route(get.to(history)),
            Handler::Watches => resource
                .route(get.to(super::watch_routes::list))
                .route(web::post().to(super::watch_routes::add)),
            Handler::Watch => resource
                .route(get.to(super::watch_routes::show))
                .route(web::delete().to(super::watch_routes::remove)),
        });
    }
    cfg.default_service(web::to(not_found))
        .app_data(web::QueryConfig::default().error_handler(|err, _| {
            ApiFailure::new(ErrorCode::BadRequest, format!("bad query string: {err}")).into()
        }));
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
        })
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    scans_in_flight: usize,
    queued: usize,
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let gauges = state.broker.gauges();
    let body = Readiness {
        status: if gauges.draining { "draining" } else { "ready" },
        scans_in_flight: gauges.in_flight,
        queued: gauges.queued,
    };
    let mut response = if gauges.draining {
        HttpResponse::ServiceUnavailable()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let text = state.broker.metrics().render(state.broker.gauges());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}

async fn not_found() -> Result<HttpResponse, ApiFailure> {
    Err(ApiFailure::new(
        ErrorCode::NotFound,
        "no such endpoint: see GET /api/v1/probe?host=HOST[&port=PORT]",
    ))
}

async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, ApiFailure> {
    Err(ApiFailure::new(
        ErrorCode::BadRequest,
        format!("{} is not served here: use GET", request.method()),
    ))
}

/// `GET /api/v1/probe`: waits for the report (or for the quick one, with `quick=1`).
async fn probe(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiFailure> {
    let ask = parse_ask(&state, &query, PROBE_PARAMETERS)?;
    let client = client_of(&request);
    match state.broker.ask(&ask, client).await? {
        Answer::Cached(cached) => respond(cached.outcome, "hit", Some(cached.age)),
        Answer::Flight {
            flight,
            started,
            quick_enough,
            permit,
        } => {
            // The permit counts the scan against the client until the answer is there (or
            // the client went away, which drops this future).
            let outcome = wait_for(&flight, quick_enough).await;
            drop(permit);
            respond(outcome, if started { "miss" } else { "joined" }, None)
        }
    }
}

/// `GET /api/v1/probe/stream`: the full scan as Server-Sent Events.
async fn probe_stream(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiFailure> {
    let mut ask = parse_ask(&state, &query, STREAM_PARAMETERS)?;
    ask.request.mode = shared::ScanMode::Full;
    let client = client_of(&request);
    // The stream's place is taken first: a client at its cap starts nothing.
    let open = state.broker.open_stream(client)?;
    let (events, cache) = match state.broker.ask(&ask, client).await? {
        Answer::Cached(cached) => (stream::cached(cached.outcome, open), "hit"),
        Answer::Flight {
            flight,
            started,
            permit,
            ..
        } => (
            stream::follow(flight, state.stream_keep_alive, open, permit),
            if started { "miss" } else { "joined" },
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // nginx would otherwise buffer the stream and the quick verdict would come late.
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header(("X-Cache", cache))
        .streaming(events))
}

#[derive(Serialize)]
struct HistoryAnswer {
    host: String,
    /// The port asked for; null: every port.
    port: Option<u16>,
    scans: Vec<crate::store::history::HistoryEntry>,
}

const HISTORY_PARAMETERS: &[&str] = &["host", "port", "limit"];

/// `GET /api/v1/history`: the stored full scans of a host, newest first.
async fn history(
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiFailure> {
    use crate::store::history::{DEFAULT_LIMIT, MAX_LIMIT};
    let Some(store) = &state.store else {
        return Err(ApiFailure::new(
            ErrorCode::NotFound,
            "this probe keeps no history (started with --history=false)",
        ));
    };
    // The same refusals as the probe's own parameters (unknown or repeated names, a host
    // that is not a target).
    let limit_text = query
        .iter()
        .find(|(n, _)| n == "limit")
        .map(|(_, v)| v.clone());
    let rest: Vec<(String, String)> = query
        .iter()
        .filter(|(n, _)| n != "limit")
        .cloned()
        .collect();
    if query.iter().filter(|(n, _)| n == "limit").count() > 1 {
        return Err(ApiFailure::new(
            ErrorCode::BadRequest,
            "the parameter \"limit\" is given more than once",
        ));
    }
    let ask = parse_query(&rest, HISTORY_PARAMETERS)?;
    let port = query
        .iter()
        .any(|(n, _)| n == "port")
        .then(|| ask.request.target.port());
    let limit = match limit_text {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiFailure::new(
                    ErrorCode::BadRequest,
                    format!("limit must be a number from 1 to {MAX_LIMIT}, not {text:?}"),
                )
            })?,
    };
    let host = ask.request.target.host().to_string();
    let scans = store.history(&host, port, limit).await.map_err(|e| {
        tracing::warn!(error = %e, "history query failed");
        ApiFailure::new(ErrorCode::Internal, "the history is unavailable right now")
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(HistoryAnswer { host, port, scans }))
}

/// Waits for the flight's outcome — or, when `quick_enough`, its quick report.
async fn wait_for(flight: &Flight, quick_enough: bool) -> Outcome {
    let mut follower = flight.follow();
    loop {
        {
            let state = follower.borrow_and_update();
            if let Some(outcome) = &state.outcome {
                return outcome.clone();
            }
            if quick_enough
                && let Some(json) = state.updates.iter().find_map(|u| match u {
                    super::cache::FlightUpdate::Quick(json) => Some(json.clone()),
                    super::cache::FlightUpdate::Progress(_) => None,
                })
            {
                return Ok(json);
            }
        }
        if follower.changed().await.is_err() {
            return Err(ApiFailure::new(
                ErrorCode::Internal,
                "the scan ended without an outcome",
            ));
        }
    }
}

fn respond(
    outcome: Outcome,
    cache: &'static str,
    age: Option<Duration>,
) -> Result<HttpResponse, ApiFailure> {
    let json = outcome?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Cache", cache));
    if let Some(age) = age {
        response.insert_header((header::AGE, HeaderValue::from(age.as_secs())));
    }
    Ok(response.body(json))
}

fn client_of(request: &HttpRequest) -> ClientKey {
    request
        .extensions()
        .get::<ClientKey>()
        .copied()
        .unwrap_or_else(|| {
            ClientKey::of(
                request
                    .peer_addr()
                    .map_or(std::net::Ipv6Addr::UNSPECIFIED.into(), |a| a.ip()),
            )
        })
}

const PROBE_PARAMETERS: &[&str] = &["host", "port", "sni", "endpoint", "refresh", "quick"];
const STREAM_PARAMETERS: &[&str] = &["host", "port", "sni", "endpoint", "refresh"];

fn parse_ask(
    state: &AppState,
    query: &[(String, String)],
    known: &[&str],
) -> Result<Ask, ApiFailure> {
    parse_query(query, known).inspect_err(|_| state.broker.metrics().refused(Refusal::BadRequest))
}

fn parse_query(query: &[(String, String)], known: &[&str]) -> Result<Ask, ApiFailure> {
    // Refuse what we do not understand rather than silently ignore it, and refuse a
    // parameter given twice: which one counts would depend on who reads it.
    let mut seen = HashSet::new();
    for (name, _) in query {
        if !known.contains(&name.as_str()) {
            return Err(ApiFailure::new(
                ErrorCode::BadRequest,
                format!("unknown parameter {name:?}; known: {}", known.join(", ")),
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(ApiFailure::new(
                ErrorCode::BadRequest,
                format!("the parameter {name:?} is given more than once"),
            ));
        }
    }
    let get = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let host = get("host")
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| {
            ApiFailure::new(
                ErrorCode::BadTarget,
                "the host parameter is required: /api/v1/probe?host=example.com",
            )
        })?;
    let port = match get("port") {
        None => None,
        Some(text) => Some(
            text.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| {
                    ApiFailure::new(
                        ErrorCode::BadTarget,
                        format!("port {text:?} is not a port number (1-65535)"),
                    )
                })?,
        ),
    };
    let flag = |name: &str| match get(name) {
        None | Some("0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(other) => Err(ApiFailure::new(
            ErrorCode::BadRequest,
            format!("{name} must be 0 or 1, not {other:?}"),
        )),
    };
    let refresh = flag("refresh")?;
    let quick = flag("quick")?;
    let target = Target::from_parts(host, port).map_err(ApiFailure::from)?;
    // One address of the name (an IP literal; IPv6 bare or in brackets).
    let endpoint = match get("endpoint") {
        None => None,
        Some(text) => Some(
            text.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .map_err(|_| {
                    ApiFailure::new(
                        ErrorCode::BadTarget,
                        format!("endpoint {text:?} is not an IP address"),
                    )
                })?,
        ),
    };
    Ok(Ask {
        request: ScanRequest {
            target,
            sni: get("sni").map(str::to_owned),
            endpoint,
            mode: broker::mode(quick),
        },
        refresh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> Vec<(String, String)> {
        text.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    #[test]
    fn parses_targets_flags_and_refuses_the_rest() {
        let ask = parse_query(
            &query("host=example.com&port=8443&refresh=1"),
            PROBE_PARAMETERS,
        )
        .unwrap();
        assert_eq!(ask.request.target.to_string(), "example.com:8443");
        assert!(ask.refresh);
        assert_eq!(ask.request.mode, shared::ScanMode::Full);
        let quick = parse_query(&query("host=example.com&quick=1"), PROBE_PARAMETERS).unwrap();
        assert_eq!(quick.request.mode, shared::ScanMode::Quick);
        for (text, code) in [
            ("host=a.example&host=b.example", ErrorCode::BadRequest),
            ("host=example.com&quick=1", ErrorCode::BadRequest),
            ("host=example.com&quick=yes", ErrorCode::BadRequest),
            ("port=443", ErrorCode::BadTarget),
        ] {
            let known = if text.contains("quick=1") {
                STREAM_PARAMETERS
            } else {
                PROBE_PARAMETERS
            };
            let failure = parse_query(&query(text), known).unwrap_err();
            assert_eq!(failure.code(), code, "{text}");
        }
    }
}
