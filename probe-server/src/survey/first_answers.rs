//! Each version's first answer, announced by its enumeration as soon as it is known and
//! awaited by the probes that need only that (the attack tests need one accepted version,
//! not the whole list of suites).

use shared::ProtocolVersion;

/// Each version's first answer (accepted: `Some(true)`; refused: `Some(false)`; no answer:
/// `None`), announced once, awaited by the probes that need it.
#[derive(Debug)]
pub(crate) struct FirstAnswers {
    channels: Vec<(
        ProtocolVersion,
        tokio::sync::watch::Sender<Option<Option<bool>>>,
    )>,
}

impl Default for FirstAnswers {
    fn default() -> Self {
        let versions = [
            ProtocolVersion::Tls13,
            ProtocolVersion::Tls12,
            ProtocolVersion::Tls11,
            ProtocolVersion::Tls10,
            ProtocolVersion::Ssl3,
        ];
        Self {
            channels: versions
                .iter()
                .map(|v| (*v, tokio::sync::watch::Sender::new(None)))
                .collect(),
        }
    }
}

impl FirstAnswers {
    fn channel(
        &self,
        version: ProtocolVersion,
    ) -> Option<&tokio::sync::watch::Sender<Option<Option<bool>>>> {
        self.channels
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, c)| c)
    }

    /// Records `version`'s first answer; later calls change nothing.
    pub(crate) fn announce(&self, version: ProtocolVersion, answer: Option<bool>) {
        if let Some(channel) = self.channel(version) {
            channel.send_if_modified(|slot| {
                let fresh = slot.is_none();
                if fresh {
                    *slot = Some(answer);
                }
                fresh
            });
        }
    }

    /// `version`'s first answer, once there is one.
    pub(crate) async fn wait(&self, version: ProtocolVersion) -> Option<bool> {
        let channel = self.channel(version)?;
        let mut receiver = channel.subscribe();
        // The senders live as long as `self`, so the channel cannot close under us.
        receiver
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|answer| *answer)
            .flatten()
    }

    /// The best TLS ≤ 1.2 version the server accepts: what the attack tests use.
    pub(crate) async fn best_legacy(&self) -> Option<ProtocolVersion> {
        for version in [
            ProtocolVersion::Tls12,
            ProtocolVersion::Tls11,
            ProtocolVersion::Tls10,
            ProtocolVersion::Ssl3,
        ] {
            if self.wait(version).await == Some(true) {
                return Some(version);
            }
        }
        None
    }

    /// Every version the server accepts, newest first.
    pub(crate) async fn supported(&self) -> Vec<ProtocolVersion> {
        let mut supported = Vec::new();
        for (version, _) in &self.channels {
            if self.wait(*version).await == Some(true) {
                supported.push(*version);
            }
        }
        supported
    }
}
