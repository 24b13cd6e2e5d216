//! The options page: probe URL, token, "Test connection", Save.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Document, HtmlInputElement};

use super::browser::{self, object};
use super::dom;
use super::fetch::{self, Deadline};
use crate::probe;
use crate::settings::{self, Settings};

fn input(doc: &Document, id: &str) -> Result<HtmlInputElement, JsValue> {
    doc.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("options.html has no #{id}")))?
        .dyn_into()
        .map_err(|_| JsValue::from_str("not an input"))
}

/// Shows a message under the form; `ok` picks its colour.
fn status(doc: &Document, message: &str, ok: bool) {
    if let Some(el) = doc.get_element_by_id("status") {
        el.set_text_content(Some(message));
        let _ = el.set_attribute("class", if ok { "status ok" } else { "status bad" });
    }
}

/// The settings as typed, or why they cannot be saved.
fn read_form(doc: &Document) -> Result<Settings, String> {
    let url = input(doc, "probe-url").map_err(|_| "form missing".to_owned())?;
    let token = input(doc, "token").map_err(|_| "form missing".to_owned())?;
    let probe_url = settings::normalize_probe_url(&url.value()).map_err(|e| e.to_string())?;
    Ok(Settings {
        probe_url,
        token: Some(token.value()),
    }
    .sanitized())
}

fn on_save(doc: &Document) {
    let form = match read_form(doc) {
        Ok(s) => s,
        Err(message) => return status(doc, &message, false),
    };
    // Asked for right here, in the click: browsers only grant permissions from a gesture.
    let request = settings::permission_pattern(&form.probe_url).map(|pattern| {
        let origins = js_sys::Array::of1(&pattern.into());
        browser::call_sync(
            &["permissions", "request"],
            &[object(&[("origins", origins.into())])],
        )
    });
    let doc = doc.clone();
    spawn_local(async move {
        if let Some(request) = request {
            let granted = match request {
                Ok(promise) => match promise.dyn_into::<js_sys::Promise>() {
                    Ok(p) => JsFuture::from(p)
                        .await
                        .map(|v| v.is_truthy())
                        .unwrap_or(false),
                    Err(v) => v.is_truthy(),
                },
                Err(_) => false,
            };
            if !granted {
                let origin = settings::origin(&form.probe_url);
                return status(
                    &doc,
                    &format!("Not saved: the extension needs your permission to reach {origin}."),
                    false,
                );
            }
        }
        match browser::save_settings(&form).await {
            Ok(()) => {
                if let Ok(url) = input(&doc, "probe-url") {
                    url.set_value(&form.probe_url);
                }
                status(
                    &doc,
                    &format!("Saved. The popup now asks {}.", form.probe_url),
                    true,
                );
            }
            Err(e) => status(
                &doc,
                &format!("Could not save: {}", fetch::error_text(&e)),
                false,
            ),
        }
    });
}

fn on_test(doc: &Document) {
    let form = match read_form(doc) {
        Ok(s) => s,
        Err(message) => return status(doc, &message, false),
    };
    status(doc, &format!("Asking {}…", form.probe_url), true);
    let doc = doc.clone();
    spawn_local(async move {
        let message = async {
            let deadline =
                Deadline::after(probe::HEALTH_TIMEOUT_MS).map_err(|e| fetch::error_text(&e))?;
            let url = probe::health_url(&form.probe_url);
            let response = fetch::get(&url, form.token.as_deref(), "application/json", &deadline)
                .await
                .map_err(|f| {
                    f.describe(&form.probe_url, "").title
                        + ". Is the server running, and saved here (to grant access)?"
                })?;
            if !response.ok() {
                let failure = fetch::failure_of(&response, &deadline).await;
                let text = failure.describe(&form.probe_url, "");
                return Err(format!("{}: {}", text.title, text.body));
            }
            let health = fetch::health(&response, &deadline).await?;
            Ok(health.describe())
        }
        .await;
        match message {
            Ok(m) => status(&doc, &m, true),
            Err(m) => status(&doc, &m, false),
        }
    });
}

/// Shows the history of every site (most recent first).
async fn show_history(doc: &Document) {
    let history = browser::load_history().await;
    let Some(root) = doc.get_element_by_id("history") else {
        return;
    };
    let tree = crate::render::history_list(&history, js_sys::Date::now() as u64);
    if let Err(e) = dom::render(&root, &tree) {
        super::log_error("history", &e);
    }
}

fn on_clear_history(doc: &Document) {
    let doc = doc.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match browser::clear_history().await {
            Ok(()) => status(&doc, "History cleared.", true),
            Err(e) => status(
                &doc,
                &format!(
                    "Could not clear the history: {}",
                    super::fetch::error_text(&e)
                ),
                false,
            ),
        }
        show_history(&doc).await;
    });
}

/// Entry point of `options.html`.
#[wasm_bindgen]
pub async fn start_options() -> Result<(), JsValue> {
    let doc = dom::document()?;
    let saved = browser::load_settings().await;
    input(&doc, "probe-url")?.set_value(&saved.probe_url);
    input(&doc, "token")?.set_value(saved.token.as_deref().unwrap_or(""));
    for (id, handler) in [
        ("save", on_save as fn(&Document)),
        ("test", on_test),
        ("clear-history", on_clear_history),
    ] {
        let d = doc.clone();
        let callback = Closure::<dyn Fn()>::new(move || handler(&d));
        doc.get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str("options.html lacks a button"))?
            .add_event_listener_with_callback("click", callback.as_ref().unchecked_ref())?;
        callback.forget();
    }
    // Enter in a field saves, like a form would.
    let d = doc.clone();
    let on_submit = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        e.prevent_default();
        on_save(&d);
    });
    if let Some(form) = doc.get_element_by_id("form") {
        form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref())?;
    }
    on_submit.forget();
    show_history(&doc).await;
    Ok(())
}
