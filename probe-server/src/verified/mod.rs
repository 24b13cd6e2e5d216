//! The verified stage: a modern client's view of the server. [`client`] is the rustls
//! handshake (every verification failure recorded, not fatal), [`http`] the HTTP request
//! over it and on port 80.

pub(crate) mod client;
pub(crate) mod http;
pub(crate) mod served_chains;
pub(crate) mod stage;
pub(crate) mod tickets;
