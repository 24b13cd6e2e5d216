//! Full scans of real servers: Debian's OpenSSL, GnuTLS, nginx and lighttpd (on mbedTLS,
//! wolfSSL and NSS) configured with known protocol and suite sets, and responders that answer
//! as SSL 2.0/3.0, export-grade, compressing, Heartbleed- or CCS-vulnerable servers do. Each
//! test asserts the exact protocols and suites the server was configured with, and the
//! findings that follow.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod chains;
mod compliance;
mod gnutls;
mod intolerance;
mod legacy;
mod nginx;
mod openssl;
mod served_chains;
mod session;
mod simulation;
mod stacks_lighttpd;
mod stacks_runtimes;
mod support;
mod tls12_client;
mod tls13_sessions;
