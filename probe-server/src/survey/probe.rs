//! One probe of the survey: what it needs, what it observes, its share of the progress.
//!
//! A probe is a unit struct implementing [`Probe`], listed once in
//! [`super::registry::PROBES`]. It runs with the [`SurveyContext`] (the connections, and
//! each version's first answer, which the enumerations announce as soon as they know it so
//! that a probe needing only that can start at once), and hands back a [`Recording`]: how what
//! it saw goes into [`Observed`]. [`super::merge`] then turns everything observed into the
//! survey's result. Probes never see each other's results, only the first answers: that
//! keeps them independent, and all of them run at once under the scan's connection cap.

use futures_util::future::BoxFuture;
use shared::{ProtocolVersion, Step};

use super::first_answers::FirstAnswers;
use super::groups::GroupSurvey;
use super::prober::Prober;
use super::published::Published;
use super::simulation::Simulated;
use super::sslv2::Ssl2Survey;
use super::suites::VersionSurvey;
use crate::survey::outcome::{ProbeOutcome, RenegotiationSeen, ResumptionSeen};

/// What a probe runs with.
pub(crate) struct SurveyContext<'a> {
    pub(crate) prober: &'a Prober,
    pub(crate) firsts: &'a FirstAnswers,
    /// Whole results, for the few probes that need more than a first answer.
    pub(crate) published: &'a Published,
}

/// Everything the probes observed, before it is merged. Each probe fills its own field.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    pub(crate) ssl2: Ssl2Survey,
    /// Each enumerated version (TLS 1.3 down to SSL 3.0).
    pub(crate) versions: Vec<(ProtocolVersion, VersionSurvey)>,
    pub(crate) tls13_groups: GroupSurvey,
    /// TLS 1.2 curves, listed when there is no TLS 1.3 to list the groups.
    pub(crate) tls12_curves: Option<GroupSurvey>,
    /// TLS 1.2 signature schemes, when TLS 1.2 is supported.
    pub(crate) signature_schemes: Option<Result<Vec<u16>, String>>,
    /// The outcome, and whether the server enabled the heartbeat extension.
    pub(crate) heartbleed: Option<(ProbeOutcome, Option<bool>)>,
    pub(crate) ccs_injection: Option<ProbeOutcome>,
    pub(crate) fallback_scsv: Option<ProbeOutcome>,
    pub(crate) compression: Option<Result<bool, String>>,
    pub(crate) robot: Option<ProbeOutcome>,
    /// Every client's simulated handshake.
    pub(crate) simulations: Vec<Simulated>,
    /// Renegotiation in a completed TLS 1.2 connection (or why it could not be tried).
    pub(crate) renegotiation: Option<Result<RenegotiationSeen, String>>,
    /// TLS 1.2 resumption and EMS (or why they could not be tried).
    pub(crate) tls12_resumption: Option<Result<ResumptionSeen, String>>,
    pub(crate) ticketbleed: Option<ProbeOutcome>,
    /// The TLS signed_certificate_timestamp extension's data (`Ok(None)`: not sent).
    pub(crate) sct_extension: Option<Result<Option<Vec<u8>>, String>>,
    /// How the server takes hellos of unusual form (None when not tested).
    pub(crate) hello_tolerance: Option<shared::HelloTolerance>,
}

impl Observed {
    /// Takes the enumeration of `version` out (empty when it did not run).
    pub(crate) fn take_version(&mut self, version: ProtocolVersion) -> VersionSurvey {
        match self.versions.iter().position(|(v, _)| *v == version) {
            Some(index) => self.versions.swap_remove(index).1,
            None => VersionSurvey::default(),
        }
    }
}

/// How a probe's observation goes into [`Observed`].
pub(crate) type Recording = Box<dyn FnOnce(&mut Observed) + Send>;

/// One probe of the survey.
pub(crate) trait Probe: Sync {
    /// Its stable name, as progress, errors and logs show it.
    fn name(&self) -> Step;

    /// Its share of the progress bar (the total is the registry's sum).
    fn weight(&self) -> u32 {
        1
    }

    /// Runs the probe; the record says what it saw.
    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording>;
}
