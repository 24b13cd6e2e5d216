//! Requests to the probe server: plain JSON answers, the event stream, the health check.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use shared::{ApiError, Report, ScanProgress};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, Request, RequestInit, Response};

use crate::popup::Event;
use crate::probe::{self, ProbeFailure};
use crate::sse::SseParser;

/// An abort signal that fires after a delay, and remembers that it did.
#[derive(Debug)]
pub struct Deadline {
    controller: AbortController,
    fired: Rc<Cell<bool>>,
}

impl Deadline {
    /// Aborts after `ms` milliseconds.
    pub fn after(ms: u32) -> Result<Self, JsValue> {
        let controller = AbortController::new()?;
        let fired = Rc::new(Cell::new(false));
        let (c, f) = (controller.clone(), fired.clone());
        let on_timeout = Closure::once_into_js(move || {
            f.set(true);
            c.abort();
        });
        let global: web_sys::Window = js_sys::global().unchecked_into();
        global.set_timeout_with_callback_and_timeout_and_arguments_0(
            on_timeout.unchecked_ref(),
            i32::try_from(ms).unwrap_or(i32::MAX),
        )?;
        Ok(Self { controller, fired })
    }

    /// Aborts now (a newer request replaces this one); not a timeout.
    pub fn cancel(&self) {
        self.controller.abort();
    }

    fn failure(&self, error: &JsValue) -> ProbeFailure {
        if self.fired.get() {
            ProbeFailure::ClientTimeout
        } else {
            ProbeFailure::Unreachable {
                detail: error_text(error),
            }
        }
    }
}

/// The message of a JS error, for people.
pub fn error_text(error: &JsValue) -> String {
    Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// `GET url` with the token and the deadline's signal.
pub async fn get(
    url: &str,
    token: Option<&str>,
    accept: &str,
    deadline: &Deadline,
) -> Result<Response, ProbeFailure> {
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&deadline.controller.signal()));
    init.set_cache(web_sys::RequestCache::NoStore);
    let request = Request::new_with_str_and_init(url, &init).map_err(|e| deadline.failure(&e))?;
    let headers = request.headers();
    let _ = headers.set("Accept", accept);
    if let Some(auth) = probe::authorization(token) {
        let _ = headers.set("Authorization", &auth);
    }
    let global: web_sys::Window = js_sys::global().unchecked_into();
    let response = JsFuture::from(global.fetch_with_request(&request))
        .await
        .map_err(|e| deadline.failure(&e))?;
    response
        .dyn_into::<Response>()
        .map_err(|e| deadline.failure(&e))
}

async fn json(response: &Response, deadline: &Deadline) -> Result<JsValue, ProbeFailure> {
    let promise = response.json().map_err(|e| deadline.failure(&e))?;
    JsFuture::from(promise).await.map_err(|e| {
        if deadline.fired.get() {
            ProbeFailure::ClientTimeout
        } else {
            ProbeFailure::Unexpected {
                status: response.status(),
                detail: format!("The answer is not JSON ({}).", error_text(&e)),
            }
        }
    })
}

/// The failure of a non-2xx answer.
pub async fn failure_of(response: &Response, deadline: &Deadline) -> ProbeFailure {
    let retry_after = probe::parse_retry_after(
        response
            .headers()
            .get("Retry-After")
            .ok()
            .flatten()
            .as_deref(),
    );
    let error = match json(response, deadline).await {
        Ok(value) => serde_wasm_bindgen::from_value::<ApiError>(value).ok(),
        Err(ProbeFailure::ClientTimeout) => return ProbeFailure::ClientTimeout,
        Err(_) => None,
    };
    ProbeFailure::from_status(response.status(), error, retry_after)
}

/// Reads a report from a JSON value; the value is kept for the "Full JSON report" page.
pub fn report_from(value: JsValue, status: u16) -> Result<(Box<Report>, JsValue), ProbeFailure> {
    serde_wasm_bindgen::from_value::<Report>(value.clone())
        .map(|r| (Box::new(r), value))
        .map_err(|e| ProbeFailure::Unexpected {
            status,
            detail: format!("The answer is not a report this extension can read ({e})."),
        })
}

/// A plain endpoint's report.
pub async fn report(
    response: &Response,
    deadline: &Deadline,
) -> Result<(Box<Report>, JsValue), ProbeFailure> {
    if !response.ok() {
        return Err(failure_of(response, deadline).await);
    }
    report_from(json(response, deadline).await?, response.status())
}

/// An event of the stream, with the raw report JSON when it carries one.
fn stream_event(data: &str) -> Result<(Event, Option<JsValue>), ProbeFailure> {
    let bad = |detail: String| ProbeFailure::Unexpected {
        status: 200,
        detail,
    };
    let value = js_sys::JSON::parse(data).map_err(|e| bad(error_text(&e)))?;
    let kind = super::browser::string_prop(&value, "type").unwrap_or_default();
    // Each variant is read by itself rather than through serde's internally tagged enum,
    // whose buffering loses integer types on the way through JS numbers.
    Ok(match kind.as_str() {
        "quick" | "report" => {
            let raw = Reflect::get(&value, &JsValue::from_str("report"))
                .map_err(|e| bad(error_text(&e)))?;
            let (report, raw) = report_from(raw, 200)?;
            let event = if kind == "quick" {
                Event::Quick(report)
            } else {
                Event::Final(report)
            };
            (event, Some(raw))
        }
        "progress" => (
            Event::Progress(
                serde_wasm_bindgen::from_value::<ScanProgress>(value)
                    .map_err(|e| bad(e.to_string()))?,
            ),
            None,
        ),
        "error" => {
            let error = serde_wasm_bindgen::from_value::<ApiError>(value)
                .map_err(|e| bad(e.to_string()))?;
            (
                Event::Failed(ProbeFailure::from_status(
                    error.error.http_status(),
                    Some(error),
                    None,
                )),
                None,
            )
        }
        other => return Err(bad(format!("unknown stream event {other:?}"))),
    })
}

/// Reads an event stream to its end, handing each event to `on_event`. Returns once a final
/// event (`report` or `error`) came, or fails when the stream ends without one.
pub async fn read_stream(
    response: &Response,
    deadline: &Deadline,
    mut on_event: impl FnMut(Event, Option<JsValue>),
) -> Result<(), ProbeFailure> {
    let body = response.body().ok_or(ProbeFailure::StreamEnded)?;
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|e| deadline.failure(&e))?;
    let mut parser = SseParser::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| deadline.failure(&e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return Err(ProbeFailure::StreamEnded);
        }
        let bytes = Reflect::get(&chunk, &JsValue::from_str("value"))
            .map_err(|e| deadline.failure(&e))?
            .dyn_into::<Uint8Array>()
            .map_err(|e| deadline.failure(&e))?
            .to_vec();
        for message in parser.push(&bytes) {
            let (event, raw) = stream_event(&message.data)?;
            let last = matches!(event, Event::Final(_) | Event::Failed(_));
            on_event(event, raw);
            if last {
                let _ = reader.cancel();
                return Ok(());
            }
        }
    }
}
