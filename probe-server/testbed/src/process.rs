//! Server processes started from Debian's packages: spawned, watched until they really serve
//! TLS on a port that is really theirs, and killed by PID and reaped when dropped.
//!
//! Three guarantees, and how they are kept:
//!
//! - **No leaked process when a test panics**: [`ServerProcess`] kills (SIGKILL, by PID) and
//!   reaps its child in `Drop`, which runs during unwinding.
//! - **No leaked process when the test binary itself dies** (killed by a test runner's
//!   time-out, `abort`): every child is started through `setpriv --pdeathsig KILL`, so the
//!   kernel kills it when its parent goes. The parent is a thread, not the process, so all
//!   children are spawned from one long-lived spawner thread: a server kept in a `static`
//!   outlives the test thread that started it.
//! - **The port is the server's own**: a bind-and-release port can be taken by someone else
//!   before the server binds it. Before the first handshake the listening socket on the port
//!   is looked up in `/proc/<pid>/net/tcp` (the server's own network namespace) and its inode
//!   must be one of the server's file descriptors; otherwise the start is retried on another
//!   port.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Result, TestbedError};

/// How long a server gets to start serving TLS, by default.
pub(crate) const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(10);

/// How many ports a server start tries before giving up.
pub(crate) const PORT_ATTEMPTS: u32 = 5;

/// Finds `program` on PATH, then in the sbin directories root's PATH may lack.
pub(crate) fn find_program(program: &str, package: &'static str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let extra = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
    std::env::split_paths(&path)
        .chain(extra.iter().map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| TestbedError::MissingProgram {
            program: program.to_owned(),
            package,
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

struct SpawnRequest {
    command: Command,
    reply: mpsc::Sender<io::Result<Child>>,
}

/// The thread every child is forked from (see the module docs: PDEATHSIG follows the thread).
fn spawner() -> &'static mpsc::Sender<SpawnRequest> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("testbed-spawner".into())
            .spawn(move || {
                for mut request in rx {
                    let _ = request.reply.send(request.command.spawn());
                }
            })
            .expect("start the testbed's spawner thread");
        tx
    })
}

/// Whether `setpriv --pdeathsig` is available (util-linux, essential on Debian).
fn setpriv() -> Option<&'static Path> {
    static SETPRIV: OnceLock<Option<PathBuf>> = OnceLock::new();
    SETPRIV
        .get_or_init(|| find_program("setpriv", "util-linux").ok())
        .as_deref()
}

/// A running server process. Dropping it kills it by PID and reaps it.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    server: &'static str,
    child: Child,
    /// Held open and never written: `openssl s_server` without `-www` quits at end of stdin.
    _stdin: Option<ChildStdin>,
    command_line: String,
    log_path: PathBuf,
}

impl ServerProcess {
    /// Starts `program args…` with stdin an idle pipe and stdout + stderr going to `log_path`.
    pub(crate) fn spawn(
        server: &'static str,
        program: &Path,
        args: &[String],
        log_path: &Path,
    ) -> Result<Self> {
        let log = File::create(log_path)
            .map_err(|e| TestbedError::io(format!("create {}", log_path.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| TestbedError::io("duplicate the log file handle", e))?;
        let mut command = match setpriv() {
            Some(setpriv) => {
                let mut c = Command::new(setpriv);
                c.args(["--pdeathsig", "KILL", "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        let command_line = std::iter::once(program.display().to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let (reply, answer) = mpsc::channel();
        spawner()
            .send(SpawnRequest { command, reply })
            .map_err(|_| TestbedError::io("spawner thread", io::ErrorKind::BrokenPipe.into()))?;
        let mut child = answer
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| TestbedError::io("spawner thread", io::ErrorKind::TimedOut.into()))?
            .map_err(|e| TestbedError::io(format!("spawn {command_line}"), e))?;
        Ok(Self {
            server,
            _stdin: child.stdin.take(),
            child,
            command_line,
            log_path: log_path.to_owned(),
        })
    }

    /// The server's PID (setpriv and `ip netns exec` exec the server: same PID).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if it has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The command line, for error messages.
    pub(crate) fn command_line(&self) -> &str {
        &self.command_line
    }

    /// The last 4 KB of what the server printed.
    pub(crate) fn log_tail(&self) -> String {
        let text = fs::read(&self.log_path).unwrap_or_default();
        let start = text.len().saturating_sub(4096);
        String::from_utf8_lossy(&text[start..]).into_owned()
    }

    /// The error for a server that exited with `status` during start-up.
    pub(crate) fn exited_error(&self, status: ExitStatus) -> TestbedError {
        TestbedError::Exited {
            server: self.server,
            status: status.to_string(),
            command: self.command_line.clone(),
            log: self.log_tail(),
        }
    }

    /// Waits until the server listens on `addr` with a socket of its own and answers a TLS
    /// ClientHello there, or fails: exited, port taken by another process, or time-out.
    pub(crate) fn wait_for_tls(&mut self, addr: SocketAddr, timeout: Duration) -> Result<()> {
        self.wait_until(addr, timeout, |addr| {
            tls_answers(addr, Duration::from_secs(2))
        })
    }

    /// Waits until the server listens on `addr` with a socket of its own (no TLS check: for
    /// plain-HTTP ports).
    pub(crate) fn wait_for_listener(&mut self, addr: SocketAddr, timeout: Duration) -> Result<()> {
        self.wait_until(addr, timeout, |_| true)
    }

    fn wait_until(
        &mut self,
        addr: SocketAddr,
        timeout: Duration,
        ready: impl Fn(SocketAddr) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        // Bounded: one poll per 25 ms until the deadline.
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Err(self.exited_error(status));
            }
            match listener_owner(self.pid(), addr) {
                Listener::Ours if ready(addr) => return Ok(()),
                Listener::Foreign => {
                    // Give a server that lost the race a moment to report its bind error.
                    thread::sleep(Duration::from_millis(200));
                    if let Some(status) = self.exited() {
                        return Err(self.exited_error(status));
                    }
                    return Err(TestbedError::Exited {
                        server: self.server,
                        status: format!("port {} is held by another process", addr.port()),
                        command: self.command_line.clone(),
                        log: format!("{}\nAddress already in use", self.log_tail()),
                    });
                }
                _ => {}
            }
            thread::sleep(Duration::from_millis(25));
        }
        Err(TestbedError::StartTimeout {
            server: self.server,
            addr,
            timeout,
            command: self.command_line.clone(),
            log: self.log_tail(),
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGKILL by PID (std's Child::kill), then reap so no zombie remains. kill() fails only
        // when the child was already reaped, which cannot happen before this point.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it). Callers
/// retry on a conflict: see [`TestbedError::is_port_conflict`].
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| TestbedError::io("bind 127.0.0.1:0 to find a free port", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| TestbedError::io("local_addr", e))
}

/// Who holds the listening socket for an address.
#[derive(Debug, PartialEq, Eq)]
enum Listener {
    /// Nobody (yet).
    None,
    /// Only the process we watch.
    Ours,
    /// Some other process.
    Foreign,
}

/// Looks up the LISTEN sockets on `addr` (or the wildcard address, same port) in the network
/// namespace of `pid`, and whether their inodes are among `pid`'s file descriptors.
fn listener_owner(pid: u32, addr: SocketAddr) -> Listener {
    let mut inodes = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        inodes.extend(listening_inodes(&text, addr));
    }
    if inodes.is_empty() {
        return Listener::None;
    }
    match socket_inodes(pid) {
        // Could not read its descriptors: the process is going away.
        None => Listener::None,
        Some(ours) if inodes.iter().all(|inode| ours.contains(inode)) => Listener::Ours,
        Some(_) => Listener::Foreign,
    }
}

/// Inodes of LISTEN (state 0A) sockets in a `/proc/net/tcp{,6}` table bound to `addr`'s port
/// on `addr`'s IP or on the wildcard address.
fn listening_inodes(table: &str, addr: SocketAddr) -> Vec<u64> {
    let port = format!("{:04X}", addr.port());
    let exact = proc_hex_ip(addr.ip());
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
            let (ip, local_port) = local.split_once(':')?;
            let wildcard = ip.bytes().all(|b| b == b'0');
            (*state == "0A" && local_port == port && (wildcard || ip == exact))
                .then(|| inode.parse().ok())
                .flatten()
        })
        .collect()
}

/// How `/proc/net/tcp` prints an IPv4 address (the u32 in host order, little-endian here).
fn proc_hex_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{:08X}", u32::from_le_bytes(v4.octets())),
        IpAddr::V6(v6) => v6
            .octets()
            .chunks(4)
            .map(|c| format!("{:08X}", u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
    }
}

/// The inodes of the sockets among `pid`'s file descriptors (`None`: unreadable).
fn socket_inodes(pid: u32) -> Option<HashSet<u64>> {
    let dir = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let inodes = dir.filter_map(|entry| {
        let target = fs::read_link(entry.ok()?.path()).ok()?;
        let text = target.to_str()?;
        text.strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    });
    Some(inodes.collect())
}

/// Whether something on `addr` answers a broad ClientHello with a TLS record (handshake or
/// alert: either proves a TLS stack is listening).
pub(crate) fn tls_answers(addr: SocketAddr, timeout: Duration) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    if stream.write_all(&readiness_client_hello()).is_err() {
        return false;
    }
    let mut header = [0u8; 3];
    let ok = stream.read_exact(&mut header).is_ok()
        && matches!(header[0], 0x15 | 0x16)
        && header[1] == 0x03;
    let _ = stream.shutdown(std::net::Shutdown::Both);
    ok
}

/// A ClientHello that every server here answers with a ServerHello or an alert: TLS 1.0–1.3,
/// modern and legacy suites (RC4 and 3DES too, for GnuTLS set up with only those), the usual
/// groups, a dummy X25519 key share.
fn readiness_client_hello() -> Vec<u8> {
    const SUITES: [u16; 22] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013,
        0xc00a, 0xc014, 0x009e, 0x0033, 0x0039, 0x009c, 0x002f, 0x0035, 0x000a, 0x0005, 0x0004,
    ];
    fn ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    let mut exts = Vec::new();
    ext(&mut exts, 0x002b, &[8, 3, 4, 3, 3, 3, 2, 3, 1]); // supported_versions
    ext(&mut exts, 0x000a, &[0, 8, 0, 0x1d, 0, 0x17, 0, 0x18, 1, 0]); // supported_groups
    ext(&mut exts, 0x000b, &[1, 0]); // ec_point_formats
    let sig_algs: [u16; 11] = [
        0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0402, 0x0202,
    ];
    let mut body = ((sig_algs.len() * 2) as u16).to_be_bytes().to_vec();
    sig_algs
        .iter()
        .for_each(|s| body.extend_from_slice(&s.to_be_bytes()));
    ext(&mut exts, 0x000d, &body); // signature_algorithms
    // key_share: X25519's base point (u = 9). Not just any 32 bytes: wolfSSL closes the
    // connection on a public value with the top bit set ("Bad ECC Peer Key").
    let mut share = vec![0, 36, 0, 0x1d, 0, 32, 9];
    share.extend([0u8; 31]);
    ext(&mut exts, 0x0033, &share);
    ext(&mut exts, 0xff01, &[0]); // renegotiation_info

    let mut hello = vec![0x03, 0x03];
    hello.extend((0..32u8).map(|i| i.wrapping_mul(7)));
    hello.push(0);
    hello.extend_from_slice(&((SUITES.len() * 2) as u16).to_be_bytes());
    SUITES
        .iter()
        .for_each(|s| hello.extend_from_slice(&s.to_be_bytes()));
    hello.extend_from_slice(&[1, 0]);
    hello.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    hello.extend_from_slice(&exts);

    let mut handshake = vec![1];
    handshake.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&hello);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// Writes `contents` to `path` atomically (temp file + rename), so that parallel tests and
/// processes sharing a cache never read half a file.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| TestbedError::io(format!("temp file in {}", dir.display()), e))?;
    tmp.write_all(contents)
        .map_err(|e| TestbedError::io("write temp file", e))?;
    tmp.persist(path)
        .map_err(|e| TestbedError::io(format!("rename into {}", path.display()), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_tables_are_read_by_port_and_address() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0\n\
           1: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0\n\
           2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0\n";
        let local = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        assert_eq!(listening_inodes(table, local(8080)), vec![1111]);
        assert_eq!(listening_inodes(table, local(443)), vec![2222]);
        assert!(listening_inodes(table, local(8081)).is_empty());
    }

    #[test]
    fn a_missing_program_names_its_package() {
        let error = find_program("testbed-no-such-program", "some-package").expect_err("missing");
        let text = error.to_string();
        assert!(text.contains("apt-get install some-package"), "{text}");
    }

    #[test]
    fn a_listener_of_another_process_is_foreign() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut other = Command::new("sleep")
            .arg("10")
            .spawn()
            .expect("spawn sleep");
        // `sleep` shares our network namespace but not our socket.
        assert_eq!(listener_owner(other.id(), addr), Listener::Foreign);
        let _ = other.kill();
        let _ = other.wait();
    }

    #[test]
    fn a_listener_of_our_own_is_recognised_as_ours() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let addr = listener.local_addr().expect("addr");
        assert_eq!(listener_owner(std::process::id(), addr), Listener::Ours);
        drop(listener);
        assert_eq!(listener_owner(std::process::id(), addr), Listener::None);
    }
}
