//! Server processes die with their handles — dropped, unwound by a panic, or orphaned by a
//! test process that aborts — and leave no zombie, no port and no namespace behind.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use testbed::{GnutlsServer, LeafKey, LeafSpec, NetNamespace, NginxServer, OpensslServer, TestPki};

use crate::support::{eventually, namespace_exists, process_alive};

fn link_exists(name: &str) -> bool {
    Command::new("ip")
        .args(["link", "show", name])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn dropped_servers_are_killed_reaped_and_their_ports_closed() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let openssl = OpensslServer::builder(&leaf).start().expect("start");
    let nginx = NginxServer::builder(&leaf).start().expect("start");
    let servers = [(openssl.pid(), openssl.addr()), (nginx.pid(), nginx.addr())];
    assert_ne!(servers[0].1, servers[1].1);
    drop(openssl);
    drop(nginx);
    for (pid, addr) in servers {
        // Reaped, not a zombie: /proc/PID is gone altogether.
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    }
}

#[test]
fn a_panicking_test_leaves_no_process_and_no_namespace() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("good.test")
    });
    let (tx, rx) = mpsc::channel();
    let outcome = std::thread::spawn(move || {
        let openssl = OpensslServer::builder(&leaf).start().expect("start");
        let gnutls = GnutlsServer::builder(&leaf).start().expect("start");
        tx.send((openssl.pid(), gnutls.pid(), gnutls.namespace().to_owned()))
            .expect("send");
        panic!("a test failing while its servers run");
    })
    .join();
    assert!(outcome.is_err());
    let (openssl, gnutls, namespace) = rx.recv().expect("pids");
    assert!(!process_alive(openssl));
    assert!(!process_alive(gnutls));
    assert!(!namespace_exists(&namespace));
}

#[test]
fn namespaces_are_distinct_and_removed_with_their_handles() {
    let a = NetNamespace::create().expect("namespace");
    let b = NetNamespace::create().expect("namespace");
    assert_ne!(a.name(), b.name());
    assert_ne!(a.addr(), b.addr());
    let host_link = format!("tbh{}", a.name().trim_start_matches("testbed-"));
    assert!(link_exists(&host_link));
    let name = a.name().to_owned();
    drop(a);
    assert!(!link_exists(&host_link));
    assert!(!namespace_exists(&name));
    assert!(namespace_exists(b.name()));
}

/// Removes a namespace left behind by the aborted child below, even if the test fails.
struct NamespaceGuard(Option<String>);

impl Drop for NamespaceGuard {
    fn drop(&mut self) {
        if let Some(name) = &self.0 {
            let index = name.trim_start_matches("testbed-");
            let _ = Command::new("ip")
                .args(["link", "del", &format!("tbh{index}")])
                .output();
            let _ = Command::new("ip").args(["netns", "del", name]).output();
        }
    }
}

const CHILD_ENV: &str = "TESTBED_LIFECYCLE_ABORT_CHILD";

/// Run as a child process (see below): starts servers, prints their PIDs, aborts (no unwinding,
/// no Drop: only PDEATHSIG can clean up).
#[test]
fn children_die_with_the_test_process() {
    if std::env::var_os(CHILD_ENV).is_some() {
        let pki = TestPki::new();
        let leaf = pki.leaf(&LeafSpec {
            key: LeafKey::Rsa2048,
            ..LeafSpec::valid("good.test")
        });
        let openssl = OpensslServer::builder(&leaf).start().expect("start");
        let gnutls = GnutlsServer::builder(&leaf).start().expect("start");
        println!(
            "PIDS {} {} {}",
            openssl.pid(),
            gnutls.pid(),
            gnutls.namespace()
        );
        std::process::abort();
    }
    // The aborted child cannot remove its temporary files: give it a directory of ours.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "lifecycle::children_die_with_the_test_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the test binary");
    let stdout = child.stdout.take().expect("stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.split_once("PIDS ").map(|(_, pids)| pids.to_owned()))
        .expect("the child printed its servers' PIDs");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the child aborted");
    let fields: Vec<&str> = line.split_whitespace().collect();
    let _guard = NamespaceGuard(Some(fields[2].to_owned()));
    for pid in [&fields[0], &fields[1]] {
        let pid: u32 = pid.parse().expect("pid");
        assert!(
            eventually(Duration::from_secs(5), || !process_alive(pid)),
            "server {pid} outlived the aborted test process"
        );
    }
}
