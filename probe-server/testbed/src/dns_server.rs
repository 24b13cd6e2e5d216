//! A real DNS server on loopback for tests: Debian's dnsmasq, authoritative for `.test`
//! (every other name under it is NXDOMAIN, nothing is forwarded anywhere), with the host
//! and raw records (`--dns-rr`: CAA, HTTPS, ...) a test gives it. Stopped by PID on drop.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::error::{Result, TestbedError};
use crate::process::{self, DEFAULT_START_TIMEOUT, PORT_ATTEMPTS, ServerProcess};

/// What the server answers.
#[derive(Debug, Default, Clone)]
pub struct DnsServerBuilder {
    hosts: Vec<(String, IpAddr)>,
    /// (name, RR type number, rdata in wire form).
    records: Vec<(String, u16, Vec<u8>)>,
}

impl DnsServerBuilder {
    /// `name` has the address `ip` (A or AAAA).
    pub fn host(mut self, name: &str, ip: IpAddr) -> Self {
        self.hosts.push((name.to_owned(), ip));
        self
    }

    /// A record of type `rr_type` with wire-form `rdata` at `name`.
    pub fn record(mut self, name: &str, rr_type: u16, rdata: &[u8]) -> Self {
        self.records
            .push((name.to_owned(), rr_type, rdata.to_vec()));
        self
    }

    /// A CAA record (RFC 8659 wire form: flags, tag length, tag, value).
    pub fn caa(self, name: &str, critical: bool, tag: &str, value: &str) -> Self {
        let mut rdata = vec![if critical { 0x80 } else { 0 }, tag.len() as u8];
        rdata.extend_from_slice(tag.as_bytes());
        rdata.extend_from_slice(value.as_bytes());
        self.record(name, 257, &rdata)
    }

    /// Starts dnsmasq and waits until it listens. Blocks briefly; from async code, call it
    /// in `spawn_blocking`.
    pub fn start(self) -> Result<DnsServer> {
        let dnsmasq = process::find_program("dnsmasq", "dnsmasq-base")?;
        let dir = tempfile::Builder::new()
            .prefix("testbed-dnsmasq-")
            .tempdir()
            .map_err(|e| TestbedError::io("create a temp dir", e))?;
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, process::free_port()?));
            let mut args: Vec<String> = [
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--bind-interfaces",
                "--listen-address=127.0.0.1",
                "--cache-size=0",
                "--pid-file=",
                "--user=root",
                "--log-facility=-",
                // Authoritative for .test: unknown names are NXDOMAIN, never forwarded.
                "--local=/test/",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            args.push(format!("--port={}", addr.port()));
            for (name, ip) in &self.hosts {
                args.push(format!("--host-record={name},{ip}"));
            }
            for (name, rr_type, rdata) in &self.records {
                args.push(format!("--dns-rr={name},{rr_type},{}", hex(rdata)));
            }
            let mut child =
                ServerProcess::spawn("dnsmasq", &dnsmasq, &args, &dir.path().join("log"))?;
            match child.wait_for_listener(addr, DEFAULT_START_TIMEOUT) {
                Ok(()) => {
                    return Ok(DnsServer {
                        process: child,
                        addr,
                        _dir: dir,
                    });
                }
                Err(e) if e.is_port_conflict() => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or(TestbedError::NoFreePort {
            server: "dnsmasq",
            attempts: PORT_ATTEMPTS,
        }))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running dnsmasq.
#[derive(Debug)]
pub struct DnsServer {
    process: ServerProcess,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl DnsServer {
    pub fn builder() -> DnsServerBuilder {
        DnsServerBuilder::default()
    }

    /// Where it answers (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// What it printed so far (the tail), for failure messages.
    pub fn log(&self) -> String {
        self.process.log_tail()
    }
}
