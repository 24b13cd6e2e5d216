//! The service worker's listeners (registered by `background.js`, which forwards to these).
//! The worker owns one duty: a tab's badge must not outlive the site it grades.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::browser::{self, object};
use crate::badge;

/// Drops what the worker keeps for `tab_id` (its badge state in session storage).
async fn forget(tab_id: i32) -> Result<(), JsValue> {
    browser::call(
        &["storage", "session", "remove"],
        &[JsValue::from_str(&browser::tab_key(tab_id))],
    )
    .await
    .map(drop)
}

async fn clear(tab_id: i32) -> Result<(), JsValue> {
    browser::set_badge(tab_id, None);
    forget(tab_id).await
}

/// `tabs.onUpdated`: when the tab starts loading another site, its badge goes; within the
/// same site it stays.
#[wasm_bindgen]
pub async fn on_tab_updated(tab_id: i32, change: JsValue, tab: JsValue) -> Result<(), JsValue> {
    let status = browser::string_prop(&change, "status");
    let loading = match status.as_deref() {
        Some("loading") => true,
        Some("complete") => false,
        _ => return Ok(()),
    };
    let key = browser::tab_key(tab_id);
    let stored = browser::call(&["storage", "session", "get"], &[JsValue::from_str(&key)]).await?;
    let saved = Reflect::get(&stored, &JsValue::from_str(&key))?;
    let Some(site) = browser::string_prop(&saved, "site") else {
        return Ok(());
    };
    let url = browser::string_prop(&change, "url").or_else(|| browser::string_prop(&tab, "url"));
    if badge::keep_on_navigation(&site, url.as_deref(), browser::url_sight()) {
        // Both browsers clear a tab's badge on every navigation: put it back (on "complete"
        // too, in case the browser cleared it after our "loading" call).
        let part = |k| browser::string_prop(&saved, k).unwrap_or_default();
        browser::set_badge_parts(tab_id, &part("text"), &part("color"), &part("title"));
        return Ok(());
    }
    if !loading {
        return Ok(());
    }
    clear(tab_id).await
}

/// `tabs.onRemoved`: forget the tab.
#[wasm_bindgen]
pub async fn on_tab_removed(tab_id: i32) -> Result<(), JsValue> {
    forget(tab_id).await
}

/// `runtime.onConnect`: the popup holds a port named `popup:<tabId>` while it lives. When
/// it closes before its scan ended, the `…` it left on the badge is cleared.
#[wasm_bindgen]
pub fn on_connect(port: JsValue) -> Result<(), JsValue> {
    let Some(tab_id) = browser::string_prop(&port, "name").and_then(|n| {
        n.strip_prefix("popup:")
            .and_then(|id| id.parse::<i32>().ok())
    }) else {
        return Ok(());
    };
    let on_disconnect = Closure::once_into_js(move || {
        wasm_bindgen_futures::spawn_local(async move {
            let text = browser::call(
                &["action", "getBadgeText"],
                &[object(&[("tabId", tab_id.into())])],
            )
            .await;
            if text.ok().and_then(|t| t.as_string()).as_deref() == Some(badge::PROBING_TEXT) {
                let _ = clear(tab_id).await;
            }
        });
    });
    let event = Reflect::get(&port, &JsValue::from_str("onDisconnect"))?;
    let add: js_sys::Function =
        Reflect::get(&event, &JsValue::from_str("addListener"))?.dyn_into()?;
    add.call1(&event, &on_disconnect)?;
    Ok(())
}

/// `webRequest.onHeadersReceived` (Firefox, once the person granted the optional
/// `webRequest` permissions for a site from the popup): keeps what the browser's own
/// connection to the tab's page was (`getSecurityInfo`, which Firefox answers only inside a
/// blocking listener), for the popup to compare with the probe's view. Nothing is sent
/// anywhere; the entry lives in `storage.session` for the tab.
#[wasm_bindgen]
pub async fn on_headers_received(details: JsValue) -> Result<JsValue, JsValue> {
    let done = || object(&[]);
    let (Some(request_id), Some(url)) = (
        browser::string_prop(&details, "requestId"),
        browser::string_prop(&details, "url"),
    ) else {
        return Ok(done());
    };
    let Some(tab_id) = Reflect::get(&details, &JsValue::from_str("tabId"))
        .ok()
        .and_then(|v| v.as_f64())
        .filter(|id| *id >= 0.0)
        .map(|id| id as i32)
    else {
        return Ok(done());
    };
    let Some(site) = crate::page::Page::classify(Some(&url))
        .target()
        .map(crate::page::Target::label)
    else {
        return Ok(done());
    };
    let info = browser::call(
        &["webRequest", "getSecurityInfo"],
        &[
            JsValue::from_str(&request_id),
            object(&[("certificateChain", false.into())]),
        ],
    )
    .await?;
    let leaf = Reflect::get(&info, &JsValue::from_str("certificates"))
        .and_then(|c| Reflect::get(&c, &0.into()))
        .unwrap_or(JsValue::UNDEFINED);
    let fingerprint = Reflect::get(&leaf, &JsValue::from_str("fingerprint"))
        .ok()
        .and_then(|f| browser::string_prop(&f, "sha256"));
    let saw = crate::browser_view::BrowserSaw {
        site,
        protocol: browser::string_prop(&info, "protocolVersion"),
        cipher: browser::string_prop(&info, "cipherSuite"),
        group: browser::string_prop(&info, "keaGroupName"),
        leaf_sha256: fingerprint,
        issuer: browser::string_prop(&leaf, "issuer"),
    };
    let value = serde_wasm_bindgen::to_value(&saw)?;
    browser::call(
        &["storage", "session", "set"],
        &[object(&[(&browser::seen_key(tab_id), value)])],
    )
    .await?;
    Ok(done())
}
