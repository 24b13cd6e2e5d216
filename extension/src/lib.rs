//! The TLS probe's browser extension.
//!
//! The logic the popup shows lives in plain Rust modules that build and test natively:
//! [`page`] (what the tab shows), [`json`] and [`decode`] (reading the probe's JSON), [`probe`] (the probe server's API as a client sees it),
//! [`sse`] (the event stream), [`view`] (a report in words and colours), [`popup`] (the
//! state machine), [`render`] (the popup's DOM as a tree), [`badge`] and [`settings`].
//! The `glue` module, compiled for wasm32 only, is the thin layer that talks to the DOM
//! and the extension APIs.

pub mod badge;
pub mod decode;
pub mod json;
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
