//! The names a scan uses: the SNI it sends (none for IP targets), the name the certificate
//! must match, and the HTTP authority.

use std::net::IpAddr;

use rustls_pki_types::ServerName;

use super::{Host, Target};
use crate::error::ProbeError;

/// See the module docs.
#[derive(Debug, Clone)]
pub struct ScanNames {
    pub sni: Option<String>,
    pub server_name: ServerName<'static>,
    /// The HTTP authority (Host header).
    pub authority: String,
}

impl ScanNames {
    /// The names for `target`, with `sni` (`--sni`) replacing the host's name.
    pub fn of(target: &Target, sni: Option<&str>) -> Result<Self, ProbeError> {
        let sni = match sni {
            Some(name) => Some(sni_name(name)?),
            None => target.host().name().map(str::to_owned),
        };
        let server_name: ServerName<'static> = match (&sni, target.host()) {
            (Some(name), _) => ServerName::try_from(name.clone())
                .map_err(|_| ProbeError::invalid_target(name, "not a valid server name"))?,
            (None, Host::Ip(ip)) => ServerName::IpAddress((*ip).into()),
            (None, Host::Name(name)) => {
                return Err(ProbeError::Internal(format!("no server name for {name}")));
            }
        };
        let authority = match target.port() {
            443 => host_header(target.host()),
            port => format!("{}:{port}", host_header(target.host())),
        };
        Ok(Self {
            sni,
            server_name,
            authority,
        })
    }
}

/// A Host header / authority for `host`.
pub fn host_header(host: &Host) -> String {
    match host {
        Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        other => other.to_string(),
    }
}

/// Validates a `--sni` name (a DNS name; IDNs converted).
fn sni_name(name: &str) -> Result<String, ProbeError> {
    match Target::parse(name)?.host() {
        Host::Name(ascii) => Ok(ascii.clone()),
        Host::Ip(_) => Err(ProbeError::invalid_target(
            name,
            "SNI carries host names, not IP addresses",
        )),
    }
}
