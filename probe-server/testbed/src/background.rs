//! In-process servers that run on a thread and runtime of their own.
//!
//! The responders must answer while the test that uses them blocks: a `#[tokio::test]` runs
//! on a current-thread runtime, and a test that waits on `openssl s_client` (or any blocking
//! call) would starve a server spawned on that runtime. So each server owns a thread with a
//! current-thread tokio runtime, works the same from sync and async tests, and stops when
//! dropped: the accept loop ends, the runtime is dropped (cancelling every connection task,
//! closing their sockets) and the thread is joined.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::error::{Result, TestbedError};

/// A listener on 127.0.0.1:0 with a handler per connection, each bounded by `lifetime`.
#[derive(Debug)]
pub(crate) struct Background {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Binds 127.0.0.1:0 and serves every connection with `handler`, cut off after `lifetime`.
    pub(crate) fn start<H, F>(name: &str, lifetime: Duration, handler: H) -> Result<Self>
    where
        H: Fn(TcpStream) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| TestbedError::io("bind 127.0.0.1:0", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| TestbedError::io("local_addr", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| TestbedError::io("set_nonblocking", e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| TestbedError::io("build a tokio runtime", e))?;
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let handler = Arc::new(handler);
        let thread = std::thread::Builder::new()
            .name(format!("testbed-{name}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                counter.fetch_add(1, Ordering::SeqCst);
                                let handler = handler.clone();
                                tokio::spawn(async move {
                                    let _ = tokio::time::timeout(lifetime, handler(stream)).await;
                                });
                            }
                        }
                    }
                });
                // Dropping the runtime here cancels every connection task.
            })
            .map_err(|e| TestbedError::io("spawn a server thread", e))?;
        Ok(Self {
            addr,
            connections,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
