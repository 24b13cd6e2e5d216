//! Judgement: from what the handshakes observed to the report.
//!
//! [`observations::Observations`] is everything the stages saw; [`checks`] turn it into
//! findings (one pure function per file, behind a registry); [`rating`] turns findings and
//! the score into a grade; [`vulnerabilities`] summarises the attack tests; [`report`] puts
//! it all, with the scan's own metadata, into a `shared::Report`. Nothing here touches the
//! network.

pub(crate) mod checks;
pub(crate) mod compliance;
pub(crate) mod observations;
pub(crate) mod rating;
pub(crate) mod report;
pub(crate) mod vulnerabilities;
