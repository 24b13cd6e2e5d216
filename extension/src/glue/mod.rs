//! The wasm layer: DOM building, extension APIs and `fetch`, and nothing else. Each page has
//! one entry point, called by its three-line JS loader:
//! [`popup::start_popup`], [`options::start_options`], [`report_page::start_report_page`] and
//! the service worker's listeners in [`worker`].

// A single-page build leaves some shared helpers unused.
#![cfg_attr(
    not(all(
        feature = "popup",
        feature = "report",
        feature = "options",
        feature = "worker"
    )),
    allow(dead_code, unused_imports)
)]

pub mod browser;
pub mod dom;
pub mod fetch;
#[cfg(feature = "options")]
pub mod options;
#[cfg(feature = "popup")]
pub mod popup;
#[cfg(feature = "report")]
pub mod report_page;
#[cfg(feature = "worker")]
pub mod worker;

use wasm_bindgen::JsValue;

/// Logs an error to the console of the page or worker.
fn log_error(context: &str, error: &JsValue) {
    web_sys::console::error_2(&JsValue::from_str(context), error);
}
