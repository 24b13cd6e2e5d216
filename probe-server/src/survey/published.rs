//! Results a probe publishes for others to wait on: each version's enumeration and the group
//! lists. Most probes need only a version's first answer ([`super::first_answers`]); a few
//! (the handshake simulation) need the whole enumeration, and wait here for exactly what
//! they need while the rest of the survey goes on.
//!
//! Every publisher publishes exactly once, on every path (a failed enumeration publishes
//! what it has), so a waiter cannot wait forever: all probes run to completion.

use std::sync::Arc;

use shared::ProtocolVersion;
use tokio::sync::watch;

use super::groups::GroupSurvey;
use super::suites::VersionSurvey;
use crate::wire::tls12::Handshake;

/// One value, published once, awaited by any number of probes.
#[derive(Debug)]
pub(crate) struct Slot<T>(watch::Sender<Option<Arc<T>>>);

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self(watch::Sender::new(None))
    }
}

impl<T> Slot<T> {
    /// Publishes `value` (a second call changes nothing).
    pub(crate) fn publish(&self, value: T) {
        let value = Arc::new(value);
        self.0.send_if_modified(|slot| {
            let fresh = slot.is_none();
            if fresh {
                *slot = Some(value);
            }
            fresh
        });
    }

    /// The value, once published.
    pub(crate) async fn get(&self) -> Arc<T> {
        let mut receiver = self.0.subscribe();
        loop {
            if let Some(value) = receiver.borrow_and_update().as_ref() {
                return value.clone();
            }
            // The sender lives as long as `self`: the channel cannot close under us.
            if receiver.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// What the survey's probes publish.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) tls13: Slot<VersionSurvey>,
    pub(crate) tls12: Slot<VersionSurvey>,
    pub(crate) tls11: Slot<VersionSurvey>,
    pub(crate) tls10: Slot<VersionSurvey>,
    pub(crate) ssl3: Slot<VersionSurvey>,
    pub(crate) tls13_groups: Slot<GroupSurvey>,
    /// `None` when the curves were not listed (TLS 1.3 lists the groups).
    pub(crate) tls12_curves: Slot<Option<GroupSurvey>>,
    /// The renegotiation probe's completed TLS 1.2 handshake (tickets offered), published
    /// before it renegotiates: the ticket that resumption by ticket and Ticketbleed offer,
    /// so that they need no full handshake of their own (published whenever TLS 1.2 is
    /// supported, an error included).
    pub(crate) tls12_ticketed: Slot<Result<Handshake, String>>,
}

impl Published {
    /// The slot of a version's enumeration (SSL 2.0 has none).
    pub(crate) fn version(&self, version: ProtocolVersion) -> Option<&Slot<VersionSurvey>> {
        match version {
            ProtocolVersion::Tls13 => Some(&self.tls13),
            ProtocolVersion::Tls12 => Some(&self.tls12),
            ProtocolVersion::Tls11 => Some(&self.tls11),
            ProtocolVersion::Tls10 => Some(&self.tls10),
            ProtocolVersion::Ssl3 => Some(&self.ssl3),
            ProtocolVersion::Ssl2 => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_get_the_first_published_value() {
        let slot: Slot<u32> = Slot::default();
        let (got, ()) = tokio::join!(slot.get(), async {
            tokio::task::yield_now().await;
            slot.publish(7);
            slot.publish(8);
        });
        assert_eq!(*got, 7);
        assert_eq!(*slot.get().await, 7, "a late waiter sees it at once");
    }
}
