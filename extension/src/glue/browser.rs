//! The WebExtension APIs, reached by name on `browser` (Firefox) or `chrome` (Chromium), so
//! one build runs in both. MV3 methods return promises when no callback is passed.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::history::{self, History};
use crate::settings::{STORAGE_KEY, Settings};

/// `browser` when the browser has it, else `chrome`.
pub fn api() -> Result<JsValue, JsValue> {
    let global = js_sys::global();
    for name in ["browser", "chrome"] {
        let value = Reflect::get(&global, &JsValue::from_str(name))?;
        if value.is_object() {
            return Ok(value);
        }
    }
    Err(JsValue::from_str("no extension API in this context"))
}

/// How far this browser lets the worker see a tab's URL: Firefox (the only one with
/// `runtime.getBrowserInfo`) ties `activeTab` to the document.
pub fn url_sight() -> crate::badge::UrlSight {
    if get(&["runtime", "getBrowserInfo"]).is_ok() {
        crate::badge::UrlSight::WhileOnDocument
    } else {
        crate::badge::UrlSight::WhileOnSite
    }
}

/// The object at `path` below the extension API (`["storage", "sync"]`).
pub fn get(path: &[&str]) -> Result<JsValue, JsValue> {
    let mut value = api()?;
    for name in path {
        value = Reflect::get(&value, &JsValue::from_str(name))?;
        if value.is_undefined() {
            return Err(JsValue::from_str(&format!(
                "missing API {}",
                path.join(".")
            )));
        }
    }
    Ok(value)
}

/// Calls `path` (its last element is the method) with `args`; returns its result, which is
/// a promise for most methods. The call happens synchronously, which matters for the APIs
/// that need a user gesture (`permissions.request`).
pub fn call_sync(path: &[&str], args: &[JsValue]) -> Result<JsValue, JsValue> {
    let (method, object) = path
        .split_last()
        .ok_or_else(|| JsValue::from_str("empty API path"))?;
    let this = get(object)?;
    let function: Function = Reflect::get(&this, &JsValue::from_str(method))?.dyn_into()?;
    let array: Array = args.iter().collect();
    function.apply(&this, &array)
}

/// Calls `path` and awaits the promise it returns.
pub async fn call(path: &[&str], args: &[JsValue]) -> Result<JsValue, JsValue> {
    let result = call_sync(path, args)?;
    match result.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(value) => Ok(value),
    }
}

/// A plain JS object from key/value pairs.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// A property as a string, if it is one.
pub fn string_prop(value: &JsValue, key: &str) -> Option<String> {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

/// The saved settings (defaults when none are saved or they cannot be read).
pub async fn load_settings() -> Settings {
    let stored = call(
        &["storage", "sync", "get"],
        &[JsValue::from_str(STORAGE_KEY)],
    )
    .await;
    let saved = stored
        .ok()
        .and_then(|all| Reflect::get(&all, &JsValue::from_str(STORAGE_KEY)).ok())
        .filter(JsValue::is_object);
    let Some(saved) = saved else {
        return Settings::default();
    };
    Settings {
        probe_url: string_prop(&saved, "probe_url").unwrap_or_default(),
        token: string_prop(&saved, "token"),
    }
    .sanitized()
}

/// Saves the settings.
pub async fn save_settings(settings: &Settings) -> Result<(), JsValue> {
    let token = settings
        .token
        .as_deref()
        .map_or(JsValue::NULL, JsValue::from_str);
    let value = object(&[
        ("probe_url", settings.probe_url.as_str().into()),
        ("token", token),
    ]);
    call(
        &["storage", "sync", "set"],
        &[object(&[(STORAGE_KEY, value)])],
    )
    .await
    .map(drop)
}

/// Every site's history ([`crate::history`]) from `storage.local`; empty when there is none
/// or it cannot be read (a history is a convenience: never a reason to fail).
pub async fn load_history() -> History {
    let key = JsValue::from_str(history::STORAGE_KEY);
    let Ok(stored) = call(&["storage", "local", "get"], std::slice::from_ref(&key)).await else {
        return History::default();
    };
    Reflect::get(&stored, &key)
        .ok()
        .filter(JsValue::is_object)
        .and_then(|v| serde_wasm_bindgen::from_value(v).ok())
        .unwrap_or_default()
}

/// Saves the history to `storage.local` (it never leaves the browser).
pub async fn save_history(history: &History) -> Result<(), JsValue> {
    let value = serde_wasm_bindgen::to_value(history)?;
    call(
        &["storage", "local", "set"],
        &[object(&[(history::STORAGE_KEY, value)])],
    )
    .await
    .map(drop)
}

/// Forgets every site's history.
pub async fn clear_history() -> Result<(), JsValue> {
    call(
        &["storage", "local", "remove"],
        &[JsValue::from_str(history::STORAGE_KEY)],
    )
    .await
    .map(drop)
}

/// `storage.session` key of what the browser saw of the tab's page (Firefox only).
pub fn seen_key(tab_id: i32) -> String {
    format!("seen:{tab_id}")
}

/// The permissions the comparison with this browser's own connection needs (Firefox):
/// `getSecurityInfo` answers only inside a blocking `webRequest` listener, which needs the
/// site's origin as well.
pub fn security_info_permissions(origin_pattern: &str) -> JsValue {
    let list = |items: &[&str]| {
        items
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect::<Array>()
            .into()
    };
    object(&[
        ("permissions", list(&["webRequest", "webRequestBlocking"])),
        ("origins", list(&[origin_pattern])),
    ])
}

/// `storage.session` key of the tab's badge site.
pub fn tab_key(tab_id: i32) -> String {
    format!("tab:{tab_id}")
}

/// `storage.session` key of the last full report for a site.
pub fn report_key(site: &str) -> String {
    format!("report:{site}")
}

/// Sets (or, with `None`, clears) the badge and tooltip of one tab. The calls are not
/// awaited: each stands alone, and a failure only means a stale badge.
pub fn set_badge(tab_id: i32, badge: Option<&crate::badge::Badge>) {
    match badge {
        Some(b) => set_badge_parts(tab_id, &b.text, b.colour, &b.title),
        None => set_badge_parts(tab_id, "", "#57606a", crate::badge::DEFAULT_TITLE),
    }
}

/// [`set_badge`] from its parts.
pub fn set_badge_parts(tab_id: i32, text: &str, colour: &str, title: &str) {
    let tab = JsValue::from(tab_id);
    for (method, key, value) in [
        ("setBadgeText", "text", text),
        ("setBadgeBackgroundColor", "color", colour),
        // Older browsers lack a badge text colour: their default white is fine.
        ("setBadgeTextColor", "color", "#ffffff"),
        ("setTitle", "title", title),
    ] {
        let args = object(&[("tabId", tab.clone()), (key, value.into())]);
        // A missing method (an older browser) is fine; so is a rejection (a closed tab).
        let _ = call_sync(&["action", method], &[args]);
    }
}
