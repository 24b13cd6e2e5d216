//! The HTTP API, served for real on 127.0.0.1:0 (`spawn_app`), asked by a real client.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod abuse;
mod access;
mod cache;
mod cli;
mod ct;
mod helpers;
mod history;
mod limits;
mod ops;
mod paths;
mod probe;
mod redis;
mod ssrf;
mod stream;
mod watches;
