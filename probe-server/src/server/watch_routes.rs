//! `GET`/`POST /api/v1/watches`, `DELETE /api/v1/watches/{id}` (behind the token, like
//! every route that is not public). A watch's target and webhook are checked when it is
//! added with the rules scans follow (the target's port and address, the webhook's as if it
//! were a target), and again at every connection.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::ErrorCode;

use super::AppState;
use super::api_error::ApiFailure;
use crate::error::ProbeError;
use crate::store::Store;
use crate::store::watches::{NewWatch, Watch};
use crate::target::Target;
use crate::watch::{self, WebhookUrl};

/// The largest request body accepted.
const MAX_BODY: usize = 8 * 1024;
/// The longest the webhook's lookup may take when a watch is added.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddWatch {
    host: String,
    #[serde(default)]
    port: Option<u16>,
    /// `6h`, `30m`, `1d` (5m to 30d) [default: 6h].
    #[serde(default)]
    every: Option<String>,
    #[serde(default)]
    webhook: Option<String>,
}

#[derive(Serialize)]
struct Added {
    watch: Watch,
    /// The HMAC-SHA256 key of the webhook's `X-Probe-Signature`: shown once, here.
    secret: String,
}

#[derive(Serialize)]
struct Listed {
    watches: Vec<Watch>,
}

#[derive(Serialize)]
struct Removed {
    removed: i64,
}

fn store(state: &AppState) -> Result<&Store, ApiFailure> {
    state.store.as_ref().ok_or_else(|| {
        ApiFailure::new(
            ErrorCode::NotFound,
            "this probe keeps no store (started with --history=false): no watches",
        )
    })
}

fn unavailable(e: &crate::store::StoreError) -> ApiFailure {
    tracing::warn!(error = %e, "watch query failed");
    ApiFailure::new(ErrorCode::Internal, "the watches are unavailable right now")
}

fn bad(message: impl Into<String>) -> ApiFailure {
    ApiFailure::new(ErrorCode::BadRequest, message)
}

/// `GET /api/v1/watches`.
pub(super) async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiFailure> {
    let watches = store(&state)?
        .watches()
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Listed { watches }))
}

/// `POST /api/v1/watches`.
pub(super) async fn add(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    let store = store(&state)?;
    if body.len() > MAX_BODY {
        return Err(bad("the body is larger than 8 KiB"));
    }
    let ask: AddWatch = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "the body must be JSON {{\"host\": …, \"port\"?, \"every\"?, \"webhook\"?}}: {e}"
        ))
    })?;
    let target = Target::from_parts(&ask.host, ask.port).map_err(ApiFailure::from)?;
    if let Some(Err(refusal)) = state
        .egress
        .target_without_lookup(target.host(), target.port())
    {
        return Err(ProbeError::from(refusal).into());
    }
    let every = match &ask.every {
        Some(text) => watch::parse_every(text).map_err(bad)?,
        None => watch::DEFAULT_EVERY,
    };
    if let Some(url) = &ask.webhook {
        let parsed = WebhookUrl::parse(url).map_err(bad)?;
        // The webhook's address and port are checked as a target's would be (no SSRF
        // through an alert); a name that does not resolve now is refused too.
        state
            .egress
            .webhook(&parsed.host, parsed.port, LOOKUP_TIMEOUT)
            .await
            .map_err(|e| {
                let failure: ApiFailure = ProbeError::from(e).into();
                ApiFailure::new(
                    failure.code(),
                    format!("webhook: {}", failure.error.message),
                )
            })?;
    }
    let secret = watch::new_secret().map_err(|e| ApiFailure::new(ErrorCode::Internal, e))?;
    let new = NewWatch {
        host: target.host().to_string(),
        port: target.port(),
        every_secs: every.as_secs(),
        webhook_url: ask.webhook,
        secret: secret.clone(),
    };
    match store.add_watch(&new).await.map_err(|e| unavailable(&e))? {
        Ok(watch) => {
            tracing::info!(watch = watch.id, host = %watch.host, port = watch.port, "watch added");
            Ok(HttpResponse::Created()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::LOCATION, format!("/api/v1/watches/{}", watch.id)))
                .json(Added { watch, secret }))
        }
        Err(id) => Err(bad(format!(
            "{target} is watched already (watch {id}); remove it first to change it"
        ))),
    }
}

#[derive(Serialize)]
struct Shown {
    watch: Watch,
    /// Its alerts, oldest first, with their delivery state.
    alerts: Vec<crate::store::watches::AlertRow>,
}

fn watch_id(text: &str) -> Result<i64, ApiFailure> {
    text.parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| bad(format!("{text:?} is not a watch id")))
}

fn no_such_watch(id: i64) -> ApiFailure {
    ApiFailure::new(ErrorCode::NotFound, format!("there is no watch {id}"))
}

/// `GET /api/v1/watches/{id}`: the watch and its alerts.
pub(super) async fn show(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiFailure> {
    let store = store(&state)?;
    let id = watch_id(&id)?;
    let watch = store
        .watch(id)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| no_such_watch(id))?;
    let alerts = store.alerts(id).await.map_err(|e| unavailable(&e))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Shown { watch, alerts }))
}

/// `DELETE /api/v1/watches/{id}`.
pub(super) async fn remove(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiFailure> {
    let store = store(&state)?;
    let id = watch_id(&id)?;
    if store.remove_watch(id).await.map_err(|e| unavailable(&e))? {
        tracing::info!(watch = id, "watch removed");
        Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(Removed { removed: id }))
    } else {
        Err(no_such_watch(id))
    }
}
