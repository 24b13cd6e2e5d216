//! Requests to the probe server: plain JSON answers, the event stream, the health check.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{JSON, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use shared::{ApiError, Report, ScanProgress};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, Request, RequestInit, Response};

use crate::popup::Event;
use crate::probe::{self, Health, ProbeFailure};
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

async fn text(response: &Response, deadline: &Deadline) -> Result<String, ProbeFailure> {
    let promise = response.text().map_err(|e| deadline.failure(&e))?;
    let value = JsFuture::from(promise)
        .await
        .map_err(|e| deadline.failure(&e))?;
    Ok(value.as_string().unwrap_or_default())
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
    let error = match text(response, deadline).await {
        Ok(body) => parse::<ApiError>(&body).ok(),
        Err(ProbeFailure::ClientTimeout) => return ProbeFailure::ClientTimeout,
        Err(_) => None,
    };
    ProbeFailure::from_status(response.status(), error, retry_after)
}

/// Reads JSON text into one of `shared`'s types: the browser's `JSON.parse` reads the text,
/// serde-wasm-bindgen walks the JS value into the type the server serialised. One definition
/// of the report on both sides, so the two can never drift.
pub fn parse<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    let value = JSON::parse(json).map_err(|e| error_text(&e))?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// Reads a report from JSON text.
pub fn report_from(json: &str, status: u16) -> Result<Box<Report>, ProbeFailure> {
    parse::<Box<Report>>(json).map_err(|e| ProbeFailure::Unexpected {
        status,
        detail: format!("The answer is not a report this extension can read ({e})."),
    })
}

/// A plain endpoint's report, and its JSON text for the "Full JSON report" page.
pub async fn report(
    response: &Response,
    deadline: &Deadline,
) -> Result<(Box<Report>, String), ProbeFailure> {
    if !response.ok() {
        return Err(failure_of(response, deadline).await);
    }
    let body = text(response, deadline).await?;
    super::mark("tls-probe:report:received");
    Ok((report_from(&body, response.status())?, body))
}

/// The JSON text of a health answer.
pub async fn health(response: &Response, deadline: &Deadline) -> Result<Health, String> {
    let body = text(response, deadline)
        .await
        .map_err(|_| "The answer could not be read.".to_owned())?;
    parse::<Health>(&body).map_err(|e| format!("The answer is not a health report ({e})."))
}

/// An event of the stream, read by its SSE `event:` name.
/// The `data:` JSON is a [`shared::StreamEvent`], whose `type` repeats the SSE name. It is
/// read by that name, its report straight into [`Report`]: deserialising the internally
/// tagged enum itself would buffer the report through serde's `Content` and put a second copy
/// of every report deserialiser into the popup's wasm (about 150 KB).
fn stream_event(name: &str, data: &str) -> Result<Event, ProbeFailure> {
    let bad = |e: String| ProbeFailure::Unexpected {
        status: 200,
        detail: format!("The probe sent an event this extension cannot read ({e})."),
    };
    let value = || JSON::parse(data).map_err(|e| bad(error_text(&e)));
    let report = || -> Result<Box<Report>, ProbeFailure> {
        let report = Reflect::get(&value()?, &JsValue::from_str("report"))
            .map_err(|e| bad(error_text(&e)))?;
        serde_wasm_bindgen::from_value(report).map_err(|e| bad(e.to_string()))
    };
    Ok(match name {
        "quick" => Event::Quick(report()?),
        "report" => Event::Final(report()?),
        "progress" => Event::Progress(
            serde_wasm_bindgen::from_value::<ScanProgress>(value()?)
                .map_err(|e| bad(e.to_string()))?,
        ),
        "error" => {
            let error = serde_wasm_bindgen::from_value::<ApiError>(value()?)
                .map_err(|e| bad(e.to_string()))?;
            Event::Failed(ProbeFailure::from_status(
                error.error.http_status(),
                Some(error),
                None,
            ))
        }
        other => {
            return Err(ProbeFailure::Unexpected {
                status: 200,
                detail: format!("The probe sent an unknown event \u{201c}{other}\u{201d}."),
            });
        }
    })
}

/// Reads an event stream to its end, handing each event to `on_event`. Returns once a final
/// event (`report` or `error`) came, or fails when the stream ends without one.
pub async fn read_stream(
    response: &Response,
    deadline: &Deadline,
    mut on_event: impl FnMut(Event, Option<String>),
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
            match message.event.as_str() {
                "quick" => super::mark("tls-probe:quick:received"),
                "report" => super::mark("tls-probe:report:received"),
                _ => {}
            }
            let event = stream_event(&message.event, &message.data)?;
            let last = matches!(event, Event::Final(_) | Event::Failed(_));
            // The report page unwraps the report from the event's JSON.
            let raw = matches!(event, Event::Final(_)).then(|| message.data.clone());
            on_event(event, raw);
            if last {
                let _ = reader.cancel();
                return Ok(());
            }
        }
    }
}
