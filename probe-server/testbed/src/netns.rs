//! Private network namespaces, each joined to the host by a veth pair on its own /30.
//!
//! Servers that cannot choose their listen address (gnutls-serv binds 0.0.0.0) run inside one,
//! so that they bind nothing on the host and never collide with each other:
//!
//! ```text
//!   host namespace                          namespace testbed-N
//!   tbhN  10.213.a.b+1/30  <── veth ──>  eth0  10.213.a.b+2/30   (server binds 0.0.0.0:443)
//!                                            lo    127.0.0.1
//! ```
//!
//! The probe, in the host namespace, connects to the namespace-side address; the kernel adds
//! the connected /30 route on both sides, nothing else is routed.
//!
//! **Allocation without races, across threads and processes**: index N (0..1024, subnet
//! 10.213.0.0/20 cut into /30s) is taken by holding an exclusive `flock` on
//! `/run/testbed-netns/N.lock` (a fixed path, whatever TMPDIR says, so that every process
//! agrees) for the namespace's lifetime. The kernel releases the lock
//! when the holder dies, however it dies, so a namespace found at a freshly locked index is a
//! leftover of a crashed run: it is removed before reuse.
//!
//! **Teardown**: `Drop` deletes the host end of the veth pair (which destroys both ends at once;
//! `ip netns del` alone destroys them asynchronously) and then the namespace.

use std::fs::{self, File, OpenOptions};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{Result, TestbedError};
use crate::process::find_program;

/// How many namespaces may exist at once (the size of the address pool).
const SLOTS: u32 = 1024;

/// A network namespace of our own, with a veth link to the host. Dropping it removes both.
#[derive(Debug)]
pub struct NetNamespace {
    name: String,
    host_if: String,
    host_addr: Ipv4Addr,
    ns_addr: Ipv4Addr,
    ip: PathBuf,
    /// Held for the namespace's lifetime: the flock is the allocation.
    _lock: File,
}

impl NetNamespace {
    /// Creates a namespace with loopback up and a veth link to the host.
    pub fn create() -> Result<Self> {
        let ip = find_program("ip", "iproute2")?;
        let (index, lock) = lock_free_slot()?;
        // Subnet 10.213.0.0/20: slot i is 10.213.(4i / 256).(4i % 256)/30.
        let base = 4 * index;
        let octets =
            |host: u32| Ipv4Addr::new(10, 213, ((base + host) >> 8) as u8, (base + host) as u8);
        let namespace = Self {
            name: format!("testbed-{index}"),
            host_if: format!("tbh{index}"),
            host_addr: octets(1),
            ns_addr: octets(2),
            ip,
            _lock: lock,
        };
        // A leftover of a crashed run at this index (its lock died with it): remove it.
        namespace.remove_quietly();
        namespace.set_up()?;
        Ok(namespace)
    }

    fn set_up(&self) -> Result<()> {
        let (name, host_if) = (self.name.as_str(), self.host_if.as_str());
        let host = format!("{}/30", self.host_addr);
        let inside = format!("{}/30", self.ns_addr);
        self.ip(&["netns", "add", name])?;
        self.ip(&[
            "link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", name,
        ])?;
        self.ip(&["addr", "add", &host, "dev", host_if])?;
        self.ip(&["link", "set", host_if, "up"])?;
        self.ip(&["-n", name, "addr", "add", &inside, "dev", "eth0"])?;
        self.ip(&["-n", name, "link", "set", "eth0", "up"])?;
        self.ip(&["-n", name, "link", "set", "lo", "up"])?;
        Ok(())
    }

    /// Runs `ip ARGS`, turning a failure into [`TestbedError::Netns`].
    fn ip(&self, args: &[&str]) -> Result<()> {
        let command = format!("ip {}", args.join(" "));
        let out = Command::new(&self.ip)
            .args(args)
            .output()
            .map_err(|e| TestbedError::Netns {
                command: command.clone(),
                detail: e.to_string(),
            })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(TestbedError::Netns {
                command,
                detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            })
        }
    }

    /// Removes the veth pair and the namespace, ignoring what does not exist. Processes still
    /// inside (only possible for a crashed run's leftovers) are killed by PID first.
    fn remove_quietly(&self) {
        let _ = Command::new(&self.ip)
            .args(["link", "del", &self.host_if])
            .output();
        if let Ok(out) = Command::new(&self.ip)
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if pid.parse::<u32>().is_ok() {
                    // The shell's builtin kill: no procps needed.
                    let _ = Command::new("sh")
                        .args(["-c", "kill -KILL \"$1\"", "sh", pid])
                        .output();
                }
            }
        }
        let _ = Command::new(&self.ip)
            .args(["netns", "del", &self.name])
            .output();
    }

    /// The namespace's name (for `ip netns exec NAME …`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address of the namespace's side of the link: where its servers are reached.
    pub fn addr(&self) -> Ipv4Addr {
        self.ns_addr
    }

    /// The address of the host's side of the link.
    pub fn host_addr(&self) -> Ipv4Addr {
        self.host_addr
    }

    /// The path of the `ip` program used.
    pub(crate) fn ip_program(&self) -> &std::path::Path {
        &self.ip
    }
}

impl Drop for NetNamespace {
    fn drop(&mut self) {
        self.remove_quietly();
    }
}

/// Takes the first free slot, starting from a per-process, per-call offset so that parallel
/// users rarely contend.
fn lock_free_slot() -> Result<(u32, File)> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from("/run/testbed-netns");
    fs::create_dir_all(&dir).map_err(|e| TestbedError::Netns {
        command: format!("mkdir -p {}", dir.display()),
        detail: e.to_string(),
    })?;
    let start = std::process::id().wrapping_mul(31) + NEXT.fetch_add(1, Ordering::Relaxed);
    for step in 0..SLOTS {
        let index = (start + step) % SLOTS;
        let path = dir.join(format!("{index}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| TestbedError::io(format!("open {}", path.display()), e))?;
        if file.try_lock().is_ok() {
            return Ok((index, file));
        }
    }
    Err(TestbedError::Netns {
        command: "allocate a namespace slot".into(),
        detail: format!("all {SLOTS} slots in {} are locked", dir.display()),
    })
}
