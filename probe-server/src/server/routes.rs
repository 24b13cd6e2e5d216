//! The routes.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::{ErrorCode, ScanMode};

use super::AppState;
use super::api_error::ApiFailure;
use crate::scan::ScanRequest;
use crate::target::Target;

/// Registers every route and the JSON 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/api/v1/probe", web::get().to(probe))
        .default_service(web::to(not_found))
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
    HttpResponse::Ok().json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

async fn not_found() -> Result<HttpResponse, ApiFailure> {
    Err(ApiFailure::new(
        ErrorCode::NotFound,
        "no such endpoint: see GET /api/v1/probe?host=HOST[&port=PORT]",
    ))
}

/// `GET /api/v1/probe?host=H[&port=P][&sni=NAME][&refresh=1]`
async fn probe(
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiFailure> {
    let request = parse_request(&query)?;
    let report = state.scanner.scan(&request).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(report))
}

const PARAMETERS: &[&str] = &["host", "port", "sni", "refresh", "quick"];

fn parse_request(query: &HashMap<String, String>) -> Result<ScanRequest, ApiFailure> {
    // Refuse what we do not understand rather than silently ignore it.
    if let Some(unknown) = query.keys().find(|k| !PARAMETERS.contains(&k.as_str())) {
        return Err(ApiFailure::new(
            ErrorCode::BadRequest,
            format!(
                "unknown parameter {unknown:?}; known: {}",
                PARAMETERS.join(", ")
            ),
        ));
    }
    let host = query
        .get("host")
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| {
            ApiFailure::new(
                ErrorCode::BadTarget,
                "the host parameter is required: /api/v1/probe?host=example.com",
            )
        })?;
    let port = match query.get("port") {
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
    if let Some(refresh) = query
        .get("refresh")
        .filter(|r| !matches!(r.as_str(), "0" | "1" | "true" | "false"))
    {
        return Err(ApiFailure::new(
            ErrorCode::BadRequest,
            format!("refresh must be 0 or 1, not {refresh:?}"),
        ));
    }
    let mode = match query.get("quick").map(String::as_str) {
        None | Some("0" | "false") => ScanMode::Full,
        Some("1" | "true") => ScanMode::Quick,
        Some(other) => {
            return Err(ApiFailure::new(
                ErrorCode::BadRequest,
                format!("quick must be 0 or 1, not {other:?}"),
            ));
        }
    };
    let target = Target::from_parts(host, port).map_err(ApiFailure::from)?;
    Ok(ScanRequest {
        target,
        sni: query.get("sni").cloned(),
        mode,
    })
}
