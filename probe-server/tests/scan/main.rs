//! Scans of real TLS servers (tokio-rustls, in process, on 127.0.0.1) built from a generated
//! test PKI, one per certificate defect. Names are mapped with --connect-to: no DNS.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod bulk;
mod certificates;
mod cli;
mod ct;
mod endpoints;
mod history;
mod http;
mod policy;
mod support;
