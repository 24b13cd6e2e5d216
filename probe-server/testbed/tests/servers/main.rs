//! The testbed's servers behave as specified: real handshakes by real clients against the
//! Debian servers, raw byte assertions against the responders and hostile servers, and the
//! lifecycle guarantees (killed by PID, reaped, namespaces removed, even on panic).

#![allow(clippy::unwrap_used)]

mod hostile;
mod legacy;
mod lifecycle;
mod lighttpd;
mod real;
mod support;
