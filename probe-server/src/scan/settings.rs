//! The one way to build a [`Scanner`] from settings, for the CLI, the server and the tests:
//! every limit is checked here, once, with the same bounds and the same messages.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{DEFAULT_MAX_ENDPOINTS, Scanner, Timeouts};
use crate::error::ProbeError;
use crate::pki::trust::TrustStore;
use crate::survey::prober::DEFAULT_CONNECTIONS;
use crate::target::address_policy::AddressPolicy;
use crate::target::connect_to::ConnectTo;
use crate::target::resolve::{self, Resolve};

/// The shortest whole-scan timeout accepted, in seconds.
pub const MIN_TIMEOUT_SECS: f64 = 0.1;
/// The longest whole-scan timeout accepted, in seconds.
pub const MAX_TIMEOUT_SECS: f64 = 600.0;
/// The default whole-scan timeout, in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 30.0;
/// The most connections in flight to one host a scan may be allowed.
pub const MAX_CONNECTIONS: usize = 64;
/// The most addresses of one name a scan may be allowed to cover.
pub const MAX_ENDPOINTS: usize = 64;

/// What a scanner is built from.
#[derive(Debug, Clone)]
pub struct ScannerSettings {
    /// A PEM file of CAs to trust besides Mozilla's roots.
    pub ca_file: Option<PathBuf>,
    /// `--connect-to` rules, as written.
    pub connect_to: Vec<String>,
    /// The whole scan's time limit, in seconds.
    pub timeout_secs: f64,
    /// From a hello to the server's first byte, in seconds (at most the whole timeout);
    /// `None`: the default.
    pub first_byte_secs: Option<f64>,
    /// Connections in flight to one host at most.
    pub connections: usize,
    /// Addresses of one name a full scan covers at most.
    pub max_endpoints: usize,
    /// Where scans may connect.
    pub policy: AddressPolicy,
    /// The resolver; `None`: the system's.
    pub resolver: Option<Arc<dyn Resolve>>,
    /// A CT log list (Google's v3 JSON shape) whose logs are known besides the bundled ones
    /// (`--ct-log-list`: a private or newer log, or a test's).
    pub ct_log_list: Option<PathBuf>,
}

impl Default for ScannerSettings {
    /// The CLI's defaults: any address and port (its user is the operator).
    fn default() -> Self {
        Self {
            ca_file: None,
            connect_to: Vec::new(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            first_byte_secs: None,
            connections: DEFAULT_CONNECTIONS,
            max_endpoints: DEFAULT_MAX_ENDPOINTS,
            policy: AddressPolicy::allow_all(),
            resolver: None,
            ct_log_list: None,
        }
    }
}

/// A setting out of bounds, or a file or rule that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("--timeout must be between {MIN_TIMEOUT_SECS} and {MAX_TIMEOUT_SECS} seconds, not {0}")]
    Timeout(f64),
    #[error(
        "--first-byte-timeout must be between {MIN_TIMEOUT_SECS} and {MAX_TIMEOUT_SECS} seconds, not {0}"
    )]
    FirstByteTimeout(f64),
    #[error("--connections must be between 1 and {MAX_CONNECTIONS}, not {0}")]
    Connections(usize),
    #[error("--max-endpoints must be between 1 and {MAX_ENDPOINTS}, not {0}")]
    MaxEndpoints(usize),
    #[error("{0}")]
    ConnectTo(ProbeError),
    #[error("{0}")]
    CaFile(ProbeError),
    #[error("--ct-log-list: {0}")]
    CtLogList(crate::pki::ct::LogListError),
}

impl ScannerSettings {
    /// Checks every setting and builds the scanner.
    pub fn build(self) -> Result<Scanner, SettingsError> {
        let timeout = self.timeout_secs;
        if !(timeout.is_finite() && (MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS).contains(&timeout)) {
            return Err(SettingsError::Timeout(timeout));
        }
        let in_bounds =
            |secs: f64| secs.is_finite() && (MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS).contains(&secs);
        if let Some(first_byte) = self.first_byte_secs
            && !in_bounds(first_byte)
        {
            return Err(SettingsError::FirstByteTimeout(first_byte));
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.connections) {
            return Err(SettingsError::Connections(self.connections));
        }
        if !(1..=MAX_ENDPOINTS).contains(&self.max_endpoints) {
            return Err(SettingsError::MaxEndpoints(self.max_endpoints));
        }
        let connect_to = self
            .connect_to
            .iter()
            .map(|rule| ConnectTo::parse(rule))
            .collect::<Result<Vec<_>, _>>()
            .map_err(SettingsError::ConnectTo)?;
        let trust = TrustStore::new(self.ca_file.as_deref()).map_err(SettingsError::CaFile)?;
        let ct_logs = crate::pki::ct::LogList::with_extra(self.ct_log_list.as_deref())
            .map_err(SettingsError::CtLogList)?;
        let mut scanner = Scanner::new(trust);
        scanner.ct_logs = ct_logs;
        scanner.egress.connect_to = connect_to;
        scanner.egress.policy = self.policy;
        scanner.egress.resolver = self.resolver.unwrap_or_else(resolve::system);
        scanner.timeouts = Timeouts::within(Duration::from_secs_f64(timeout));
        if let Some(first_byte) = self.first_byte_secs {
            scanner.timeouts.first_byte =
                Duration::from_secs_f64(first_byte).min(scanner.timeouts.scan);
        }
        scanner.connections = self.connections;
        scanner.max_endpoints = self.max_endpoints;
        Ok(scanner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bound_is_checked_with_its_own_message() {
        for bad in [0.0, 0.05, 601.0, f64::NAN, f64::INFINITY, -1.0] {
            let settings = ScannerSettings {
                timeout_secs: bad,
                ..ScannerSettings::default()
            };
            let error = settings.build().unwrap_err();
            assert!(matches!(error, SettingsError::Timeout(_)), "{bad}: {error}");
            assert!(error.to_string().contains("timeout"), "{error}");
        }
        for bad in [0, 65] {
            let settings = ScannerSettings {
                connections: bad,
                ..ScannerSettings::default()
            };
            assert!(matches!(
                settings.build().unwrap_err(),
                SettingsError::Connections(_)
            ));
            let settings = ScannerSettings {
                max_endpoints: bad,
                ..ScannerSettings::default()
            };
            assert!(matches!(
                settings.build().unwrap_err(),
                SettingsError::MaxEndpoints(_)
            ));
        }
        let settings = ScannerSettings {
            connect_to: vec!["nonsense".into()],
            ..ScannerSettings::default()
        };
        assert!(matches!(
            settings.build().unwrap_err(),
            SettingsError::ConnectTo(_)
        ));
    }

    #[test]
    fn good_settings_make_the_scanner_they_say() {
        let scanner = ScannerSettings {
            timeout_secs: 0.1,
            connections: 3,
            connect_to: vec!["a.test:443:127.0.0.1:8443".into()],
            ..ScannerSettings::default()
        }
        .build()
        .unwrap();
        assert_eq!(scanner.timeouts.scan, Duration::from_millis(100));
        assert_eq!(scanner.connections, 3);
        assert_eq!(scanner.egress.connect_to.len(), 1);
    }
}
