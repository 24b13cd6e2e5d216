//! `report.html?site=HOST[:PORT]`: the full JSON report the popup last received for a site.

use js_sys::{JSON, Reflect};
use wasm_bindgen::prelude::*;

use super::browser;
use super::dom;

/// Entry point of `report.html`.
#[wasm_bindgen]
pub async fn start_report_page() -> Result<(), JsValue> {
    let doc = dom::document()?;
    let search = web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window"))?
        .location()
        .search()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search)?;
    let site = params.get("site").unwrap_or_default();
    let key = browser::report_key(&site);
    let stored = browser::call(&["storage", "session", "get"], &[JsValue::from_str(&key)]).await?;
    let report = Reflect::get(&stored, &JsValue::from_str(&key))?;
    if let Some(title) = doc.get_element_by_id("title") {
        title.set_text_content(Some(&format!("TLS report for {site}")));
    }
    doc.set_title(&format!("TLS report: {site}"));
    // The popup stores the JSON text it received: a report, or a stream event holding one.
    let report = match report.as_string() {
        Some(text) => {
            let value = JSON::parse(&text)?;
            let inner = Reflect::get(&value, &JsValue::from_str("report"))?;
            if inner.is_object() { inner } else { value }
        }
        None => JsValue::UNDEFINED,
    };
    let text = if report.is_undefined() {
        "No report for this site in this browser session. Open the popup on the site first."
            .to_owned()
    } else {
        JSON::stringify_with_replacer_and_space(&report, &JsValue::NULL, &JsValue::from(2))?
            .as_string()
            .unwrap_or_default()
    };
    if let Some(pre) = doc.get_element_by_id("json") {
        pre.set_text_content(Some(&text));
    }
    Ok(())
}
