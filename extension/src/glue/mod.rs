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

/// `performance.mark(name)`: the e2e tests read these marks to measure the popup's first
/// paint after a report arrives (the budget is 100 ms).
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Marks `<name>:painted` once the frame that shows the current DOM has been painted (a
/// task queued from `requestAnimationFrame` runs after that frame), and measures `name`
/// from `<name>:received` to it.
pub fn measure_paint(name: &'static str) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let after_frame = Closure::once_into_js(move || {
        let Some(window) = web_sys::window() else {
            return;
        };
        let painted = Closure::once_into_js(move || {
            if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                let end = format!("{name}:painted");
                let _ = performance.mark(&end);
                let _ = performance.measure_with_start_mark_and_end_mark(
                    name,
                    &format!("{name}:received"),
                    &end,
                );
            }
        });
        let _ = window.set_timeout_with_callback(painted.unchecked_ref());
    });
    let _ = window.request_animation_frame(after_frame.unchecked_ref());
}
