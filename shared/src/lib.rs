//! The report of a TLS scan, shared by the probe server (which writes it) and the browser
//! extension (which reads it).
//!
//! The JSON form of [`Report`] is a public API. Its JSON Schema is generated from these types
//! and committed at `shared/schema/report.schema.json`; a test fails when the two drift apart.
//! Change a field deliberately: bump [`SCHEMA_VERSION`] (minor for additions, major for
//! removals or renames) and regenerate the schema with
//! `UPDATE_SCHEMA=1 cargo test -p shared --test schema`.

mod api;
mod compliance;
mod ct;
mod finding;
mod grade;
mod policy;
mod protocol;
mod report;
mod simulation;
mod stream;

pub use api::{ApiError, ErrorCode};
pub use compliance::{Compliance, ComplianceNote, ComplianceVerdict, Deviation, ProfileCompliance};
pub use ct::{CertificateTransparency, CtLogList, CtPolicyVerdict, Sct, SctSignature, SctSource};
pub use finding::{Finding, FindingId, Severity};
pub use grade::Grade;
pub use policy::{Caa, CaaRecord, DnsPolicy, HstsPreload, HttpsRecord, Policy};
pub use protocol::ProtocolVersion;
pub use report::*;
pub use simulation::{HandshakeSimulation, SimulationFailure, SimulationOutcome};
pub use stream::{ScanProgress, StreamEvent};

/// Version of the report's JSON shape (not of the probe). Semver: a minor bump adds fields,
/// a major bump removes or renames them.
pub const SCHEMA_VERSION: &str = "1.4";

/// Version of the rating rules the grade follows: SSL Labs' SSL Server Rating Guide (2009r)
/// plus this probe's own documented extensions (see `probe-server/src/rating/`).
pub const RATING_RULES_VERSION: &str = "ssllabs-2009r/probe-5";

/// The JSON Schema of [`Report`], as generated from the types.
pub fn report_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Report))
        .expect("a generated JSON schema always serialises")
}
