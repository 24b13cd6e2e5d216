//! Every probe of the survey, in one list (like the checks' registry). Adding a probe: one
//! file implementing [`Probe`], one line here, a field in [`super::probe::Observed`] and its
//! merge, and the check that judges it.

use shared::ProtocolVersion;

use super::attacks::{
    ccs_injection::CcsInjection, compression::Compression, fallback_scsv::FallbackScsv,
    heartbleed::Heartbleed, ticketbleed::Ticketbleed,
};
use super::groups::{SignatureSchemes, Tls12Curves, Tls13Groups};
use super::hello_tolerance::HelloToleranceProbe;
use super::probe::Probe;
use super::renegotiation::Renegotiation;
use super::resumption::Tls12Resumption;
use super::robot::Robot;
use super::sct_extension::SctExtension;
use super::simulation::Simulation;
use super::sslv2::Ssl2Probe;
use super::suites::Enumeration;

/// The survey's probes. They all start at once; those that need a version's first answer
/// wait for it.
pub(crate) const PROBES: &[&dyn Probe] = &[
    &Ssl2Probe,
    &Enumeration(ProtocolVersion::Tls13),
    &Enumeration(ProtocolVersion::Tls12),
    &Enumeration(ProtocolVersion::Tls11),
    &Enumeration(ProtocolVersion::Tls10),
    &Enumeration(ProtocolVersion::Ssl3),
    &Tls13Groups,
    &Tls12Curves,
    &SignatureSchemes,
    &Heartbleed,
    &CcsInjection,
    &FallbackScsv,
    &Compression,
    &Robot,
    &Simulation,
    &Renegotiation,
    &Tls12Resumption,
    &Ticketbleed,
    &SctExtension,
    &HelloToleranceProbe,
];

/// The progress total: every probe's weight.
pub(crate) fn total_weight() -> u32 {
    PROBES.iter().map(|probe| probe.weight()).sum()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_probe_has_its_own_name_and_the_total_counts_them_all() {
        let names: HashSet<&str> = PROBES.iter().map(|p| p.name().as_str()).collect();
        assert_eq!(names.len(), PROBES.len(), "two probes share a name");
        assert_eq!(total_weight(), PROBES.len() as u32);
    }
}
