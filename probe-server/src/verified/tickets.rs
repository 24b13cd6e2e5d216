//! TLS 1.3 tickets as the browser-like client receives them.
//!
//! rustls keeps NewSessionTicket messages in its `ClientSessionStore`; this store wraps the
//! usual memory cache and remembers, besides, how many TLS 1.3 tickets came and the largest
//! `max_early_data_size` one allowed (the server's offer of 0-RTT). rustls does not expose a
//! ticket's lifetime, so it is not reported for TLS 1.3 (the raw TLS 1.2 probe reports its
//! ticket's lifetime hint).

use std::sync::Mutex;

use rustls::NamedGroup;
use rustls::client::Tls13ClientSessionValue;
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue};
use rustls_pki_types::ServerName;

/// What the server's TLS 1.3 tickets said.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TicketsSeen {
    /// TLS 1.3 NewSessionTicket messages received.
    pub tls13_tickets: u32,
    /// The largest `max_early_data_size` of them (0: the server offers no 0-RTT).
    pub max_early_data_size: u32,
}

/// A memory session cache that records the TLS 1.3 tickets put in it.
#[derive(Debug)]
pub(crate) struct RecordingSessionStore {
    cache: ClientSessionMemoryCache,
    seen: Mutex<TicketsSeen>,
}

impl RecordingSessionStore {
    pub(crate) fn new(size: usize) -> Self {
        Self {
            cache: ClientSessionMemoryCache::new(size),
            seen: Mutex::new(TicketsSeen::default()),
        }
    }

    /// The tickets received so far.
    pub(crate) fn seen(&self) -> TicketsSeen {
        // A poisoned lock only means another thread panicked mid-write; the value is ours.
        *self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ClientSessionStore for RecordingSessionStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.cache.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.cache.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.cache.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.cache.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.cache.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            seen.tls13_tickets = seen.tls13_tickets.saturating_add(1);
            seen.max_early_data_size = seen.max_early_data_size.max(value.max_early_data_size());
        }
        self.cache.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        self.cache.take_tls13_ticket(server_name)
    }
}
