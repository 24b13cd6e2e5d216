//! The TLS probe's browser extension.
//!
//! The logic the popup shows lives in plain Rust modules that build and test natively:
//! [`page`] (what the tab shows), [`probe`] (the probe server's API as a client sees it),
//! [`sse`] (the event stream), [`view`] (a report in words and colours), [`popup`] (the
//! state machine), [`render`] (the popup's DOM as a tree), [`badge`], [`history`] (each
//! site's last verdicts and what changed) and [`settings`].
//! The `glue` module, compiled for wasm32 only, is the thin layer that talks to the DOM
//! and the extension APIs; it reads the probe's JSON with the browser's own `JSON.parse` and
//! serde-wasm-bindgen into `shared`'s types, the same definition the server writes.

pub mod badge;
pub mod browser_view;
pub mod history;
pub mod page;
pub mod popup;
pub mod probe;
pub mod render;
pub mod settings;
pub mod sse;
pub mod ui;
pub mod view;

#[cfg(target_arch = "wasm32")]
pub mod glue;
