//! `probe-server scan --targets FILE`: many targets from a file or standard input, scanned
//! with bounded parallelism and a per-host cap, one result written per target as soon as it
//! finishes.
//!
//! Memory stays bounded whatever the length of the input: lines are read as slots free up
//! (at most [`BulkOptions::parallel`] scans run and as many again wait, read ahead), each
//! report is written and dropped as soon as its scan ends, and only the counts of the summary
//! are kept. A file is read twice (once to count its targets for the progress bar's ETA, once
//! to scan); standard input once (the bar then shows a count and a rate without an ETA).

use std::collections::HashMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use shared::{Grade, Report, ScanMode};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, BufReader};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::{exit, exit_status, probe_error_status};
use crate::scan::{ScanRequest, Scanner};
use crate::store::Store;
use crate::target::Target;

/// Scans in flight at once by default.
pub const DEFAULT_PARALLEL: usize = 8;
/// The most scans in flight `--parallel` accepts.
pub const MAX_PARALLEL: usize = 256;
/// Scans of one host in flight at once by default (different ports of one name, or one
/// name listed twice).
pub const DEFAULT_PER_HOST: usize = 1;
/// The longest line read as a target; a longer one is reported as a bad line (no host name
/// is this long, and a file without newlines must not be read into memory whole).
pub const MAX_LINE_BYTES: usize = 4096;

/// Where the targets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// `-` is standard input, anything else a path.
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Self::Stdin
        } else {
            Self::File(PathBuf::from(arg))
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Stdin => "standard input".to_owned(),
            Self::File(path) => path.display().to_string(),
        }
    }
}

/// How a bulk scan runs and what it writes.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    pub source: Source,
    pub parallel: usize,
    pub per_host: usize,
    /// JSON Lines (one object per target) instead of the table.
    pub json: bool,
    pub mode: ScanMode,
    /// The progress bar on standard error; `None`: when standard error is a terminal.
    pub progress: Option<bool>,
}

/// A bad `--parallel` or `--per-host`, or input that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BulkError {
    #[error("--parallel must be between 1 and {MAX_PARALLEL}, not {0}")]
    Parallel(usize),
    #[error("--per-host must be between 1 and --parallel ({parallel}), not {per_host}")]
    PerHost { per_host: usize, parallel: usize },
    #[error("cannot read the targets from {source_name}: {error}")]
    Read {
        source_name: String,
        error: std::io::Error,
    },
    #[error("no targets in {0} (one per line; blank lines and lines starting with # are skipped)")]
    Empty(String),
}

impl BulkOptions {
    /// Checks the bounds.
    pub fn check(&self) -> Result<(), BulkError> {
        if !(1..=MAX_PARALLEL).contains(&self.parallel) {
            return Err(BulkError::Parallel(self.parallel));
        }
        if !(1..=self.parallel).contains(&self.per_host) {
            return Err(BulkError::PerHost {
                per_host: self.per_host,
                parallel: self.parallel,
            });
        }
        Ok(())
    }
}

/// One line of the input, as read.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// Blank or a `#` comment.
    Skip,
    Text(String),
    /// Not a target, and why (too long, not UTF-8).
    Bad(String),
}

/// Reads one line of at most [`MAX_LINE_BYTES`]; `None` at the end of the input. A longer
/// line is consumed to its end without being kept.
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Line>> {
    buf.clear();
    let limit = MAX_LINE_BYTES as u64 + 1;
    let read = (&mut *reader).take(limit).read_until(b'\n', buf).await?;
    if read == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
        // Skip the rest of the line in bounded pieces.
        loop {
            buf.clear();
            let n = (&mut *reader).take(limit).read_until(b'\n', buf).await?;
            if n == 0 || buf.last() == Some(&b'\n') {
                break;
            }
        }
        return Ok(Some(Line::Bad(format!(
            "the line is longer than {MAX_LINE_BYTES} bytes"
        ))));
    }
    let Ok(text) = std::str::from_utf8(buf) else {
        return Ok(Some(Line::Bad("the line is not valid UTF-8".to_owned())));
    };
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return Ok(Some(Line::Skip));
    }
    Ok(Some(Line::Text(text.to_owned())))
}

async fn open(source: &Source) -> Result<BufReader<Box<dyn AsyncRead + Unpin + Send>>, BulkError> {
    let reader: Box<dyn AsyncRead + Unpin + Send> = match source {
        Source::Stdin => Box::new(tokio::io::stdin()),
        Source::File(path) => {
            Box::new(
                tokio::fs::File::open(path)
                    .await
                    .map_err(|error| BulkError::Read {
                        source_name: source.describe(),
                        error,
                    })?,
            )
        }
    };
    Ok(BufReader::new(reader))
}

/// Counts the lines that will be scanned or reported (for the progress bar's length).
async fn count(source: &Source) -> Result<u64, BulkError> {
    let mut reader = open(source).await?;
    let mut buf = Vec::new();
    let mut n = 0;
    while let Some(line) =
        read_line(&mut reader, &mut buf)
            .await
            .map_err(|error| BulkError::Read {
                source_name: source.describe(),
                error,
            })?
    {
        if line != Line::Skip {
            n += 1;
        }
    }
    Ok(n)
}

/// At most `cap` holders per host at once. Entries live only while someone holds or waits
/// for one, so thousands of distinct hosts leave nothing behind.
#[derive(Debug)]
pub struct HostGate {
    cap: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A host's slot; dropping it frees the slot (and the host's entry when it was the last).
#[derive(Debug)]
pub struct HostPermit {
    gate: Arc<HostGate>,
    host: String,
    permit: Option<OwnedSemaphorePermit>,
}

impl HostGate {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    fn semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.cap)))
            .clone()
    }

    /// Waits for a slot of `host`.
    pub async fn enter(self: &Arc<Self>, host: &str) -> HostPermit {
        let semaphore = self.semaphore(host);
        // The semaphore is never closed.
        let permit = semaphore.acquire_owned().await.ok();
        HostPermit {
            gate: self.clone(),
            host: host.to_owned(),
            permit,
        }
    }

    /// Hosts with a holder or a waiter.
    pub fn tracked(&self) -> usize {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        let mut hosts = self.gate.hosts.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.permit.take());
        // Holders and waiters each own a clone (taken under this lock): only the map's left
        // means nobody needs the entry.
        if hosts
            .get(&self.host)
            .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            hosts.remove(&self.host);
        }
    }
}

/// What became of one line.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Scanned: a report.
    Ok,
    /// The scan failed (no such host, no connection, no TLS, timeout).
    Failed,
    /// The line is not a target.
    Invalid,
}

/// One JSON Lines record (the table shows the same).
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The line of the input (from 1).
    pub line: u64,
    /// The line as written (trimmed); empty when it could not be read as text.
    pub input: String,
    pub status: Status,
    /// This target's exit status (the same as `probe-server scan TARGET`).
    pub exit: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<Report>>,
}

impl Outcome {
    fn invalid(line: u64, input: String, error: String) -> Self {
        Self {
            line,
            input,
            status: Status::Invalid,
            exit: exit::USAGE,
            grade: None,
            error: Some(error),
            report: None,
        }
    }
}

/// How bad an exit status is, for "the worst verdict": a good grade, then B–E, F, T/M, then
/// a scan that gave no verdict, then a line that was not a target (nothing was learned).
pub fn severity(status: u8) -> u8 {
    match status {
        exit::GOOD => 0,
        exit::WEAK => 1,
        exit::FAILING => 2,
        exit::UNTRUSTED => 3,
        exit::SCAN_FAILED => 4,
        _ => 5,
    }
}

/// The totals the summary prints.
#[derive(Debug, Default)]
pub struct Summary {
    pub targets: u64,
    pub by_exit: [u64; 7],
    pub worst: Option<u8>,
}

impl Summary {
    fn add(&mut self, status: u8) {
        self.targets += 1;
        if let Some(slot) = self.by_exit.get_mut(usize::from(status)) {
            *slot += 1;
        }
        if self.worst.is_none_or(|w| severity(status) > severity(w)) {
            self.worst = Some(status);
        }
    }

    fn line(&self, elapsed: Duration) -> String {
        let n = |status: u8| self.by_exit[usize::from(status)];
        format!(
            "{} targets in {:.1} s: {} good (A+/A/A-), {} weak (B-E), {} failing (F), {} untrusted (T/M), {} failed scans, {} bad lines",
            self.targets,
            elapsed.as_secs_f64(),
            n(exit::GOOD),
            n(exit::WEAK),
            n(exit::FAILING),
            n(exit::UNTRUSTED),
            n(exit::SCAN_FAILED),
            n(exit::USAGE),
        )
    }
}

/// The table's header and one row per target.
fn table_header() -> String {
    format!(
        "{:>5}  {:<40}  {:<5}  {:>8}  {:>8}  {}\n",
        "LINE", "TARGET", "GRADE", "FINDINGS", "SECONDS", "NOTE"
    )
}

fn table_row(outcome: &Outcome) -> String {
    let target = outcome
        .report
        .as_ref()
        .map_or_else(|| outcome.input.clone(), |r| r.target.host.clone());
    let target = match &outcome.report {
        Some(r) => format!("{target}:{}", r.target.port),
        None => target,
    };
    let grade = outcome.grade.map_or("-".to_owned(), |g| g.to_string());
    let (findings, seconds) = outcome.report.as_ref().map_or_else(
        || ("-".to_owned(), "-".to_owned()),
        |r| {
            (
                r.findings.len().to_string(),
                format!("{:.1}", r.duration_ms as f64 / 1000.0),
            )
        },
    );
    let note = match (&outcome.status, &outcome.error, &outcome.report) {
        (Status::Ok, _, Some(r)) => r
            .findings
            .first()
            .map(|f| f.id.as_str().to_owned())
            .unwrap_or_default(),
        (Status::Failed, Some(e), _) => format!("scan failed: {e}"),
        (Status::Invalid, Some(e), _) => format!("bad line: {e}"),
        _ => String::new(),
    };
    format!(
        "{:>5}  {:<40}  {:<5}  {:>8}  {:>8}  {}\n",
        outcome.line, target, grade, findings, seconds, note
    )
}

fn progress_bar(length: Option<u64>, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = match length {
        Some(len) => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {pos} done ({per_sec}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs a bulk scan and returns the exit status: the worst of every target's.
pub async fn run(scanner: Scanner, options: BulkOptions, store: Option<Store>) -> u8 {
    match run_inner(scanner, options, store).await {
        Ok(status) => status,
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}

async fn run_inner(
    scanner: Scanner,
    options: BulkOptions,
    store: Option<Store>,
) -> Result<u8, BulkError> {
    options.check()?;
    let show = options
        .progress
        .unwrap_or_else(|| std::io::stderr().is_terminal());
    // Only a file can be counted ahead without holding it.
    let length = match (&options.source, show) {
        (Source::File(_), true) => Some(count(&options.source).await?),
        _ => None,
    };
    let reader = open(&options.source).await?;
    let bar = progress_bar(length, show);
    let started = Instant::now();

    let (tx, mut rx) = mpsc::channel::<Outcome>(options.parallel * 2);
    let feeder = tokio::spawn(feed(Arc::new(scanner), options.clone(), reader, tx, store));

    let mut summary = Summary::default();
    let mut stdout = std::io::stdout();
    if !options.json {
        let header = table_header();
        bar.suspend(|| {
            let _ = stdout.write_all(header.as_bytes());
        });
    }
    while let Some(outcome) = rx.recv().await {
        summary.add(outcome.exit);
        let text = if options.json {
            serde_json::to_string(&outcome).map_or_else(
                |e| {
                    format!(
                        "{{\"line\":{},\"status\":\"failed\",\"exit\":3,\"error\":\"cannot encode the report: {e}\"}}\n",
                        outcome.line
                    )
                },
                |j| j + "\n",
            )
        } else {
            table_row(&outcome)
        };
        bar.suspend(|| {
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    let fed = feeder.await.unwrap_or_else(|e| {
        Err(BulkError::Read {
            source_name: options.source.describe(),
            error: std::io::Error::other(e),
        })
    });
    fed?;
    if summary.targets == 0 {
        return Err(BulkError::Empty(options.source.describe()));
    }
    let line = summary.line(started.elapsed());
    if options.json {
        eprintln!("{line}");
    } else {
        let _ = writeln!(stdout, "{line}");
    }
    Ok(summary.worst.unwrap_or(exit::GOOD))
}

/// Reads the lines and starts their scans, each result sent to `tx`. Returns when every
/// line was read (the scans end on their own; `tx`'s last clone closes the channel).
async fn feed<R: AsyncRead + Unpin>(
    scanner: Arc<Scanner>,
    options: BulkOptions,
    mut reader: BufReader<R>,
    tx: mpsc::Sender<Outcome>,
    store: Option<Store>,
) -> Result<(), BulkError> {
    // Scans running, and scans started (waiting for a host or a slot) at most.
    let running = Arc::new(Semaphore::new(options.parallel));
    let admitted = Arc::new(Semaphore::new(options.parallel * 2));
    let hosts = HostGate::new(options.per_host);
    let mut buf = Vec::new();
    let mut number = 0u64;
    loop {
        let line = read_line(&mut reader, &mut buf)
            .await
            .map_err(|error| BulkError::Read {
                source_name: options.source.describe(),
                error,
            })?;
        let Some(line) = line else { break };
        number += 1;
        let input = match line {
            Line::Skip => continue,
            Line::Bad(why) => {
                let _ = tx.send(Outcome::invalid(number, String::new(), why)).await;
                continue;
            }
            Line::Text(text) => text,
        };
        let target = match Target::parse(&input) {
            Ok(target) => target,
            Err(e) => {
                let _ = tx
                    .send(Outcome::invalid(number, input, e.to_string()))
                    .await;
                continue;
            }
        };
        let Ok(admission) = admitted.clone().acquire_owned().await else {
            break;
        };
        let (scanner, running, hosts, tx, store) = (
            scanner.clone(),
            running.clone(),
            hosts.clone(),
            tx.clone(),
            store.clone(),
        );
        let mode = options.mode;
        tokio::spawn(async move {
            let _admission = admission;
            let host = target.host().to_string();
            let _host = hosts.enter(&host).await;
            let Ok(_slot) = running.acquire_owned().await else {
                return;
            };
            let request = ScanRequest {
                target,
                sni: None,
                mode,
                endpoint: None,
            };
            let outcome = match scanner.scan(&request).await {
                Ok(report) => {
                    // Kept in the history when one was named; the verdict stands either way.
                    let stored = match &store {
                        Some(store) => store.record(&report).await.err(),
                        None => None,
                    };
                    Outcome {
                        line: number,
                        input,
                        status: Status::Ok,
                        exit: exit_status(report.grade),
                        grade: Some(report.grade),
                        error: stored.map(|e| format!("the scan was not stored: {e}")),
                        report: Some(Box::new(report)),
                    }
                }
                Err(e) => Outcome {
                    line: number,
                    input,
                    status: if probe_error_status(&e) == exit::USAGE {
                        Status::Invalid
                    } else {
                        Status::Failed
                    },
                    exit: probe_error_status(&e),
                    grade: None,
                    error: Some(e.to_string()),
                    report: None,
                },
            };
            let _ = tx.send(outcome).await;
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_bounded_trimmed_and_comments_skipped() {
        let mut input = b"  a.test  \n\n# comment\nb.test:8443".to_vec();
        input.push(b'\n');
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES * 3));
        input.extend(b"\n\xff\xfe\nc.test\n");
        let mut reader = BufReader::new(&input[..]);
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        while let Some(line) = read_line(&mut reader, &mut buf).await.unwrap() {
            lines.push(line);
        }
        assert_eq!(
            lines,
            vec![
                Line::Text("a.test".into()),
                Line::Skip,
                Line::Skip,
                Line::Text("b.test:8443".into()),
                Line::Bad(format!("the line is longer than {MAX_LINE_BYTES} bytes")),
                Line::Bad("the line is not valid UTF-8".into()),
                Line::Text("c.test".into()),
            ]
        );
        assert!(
            buf.capacity() <= MAX_LINE_BYTES * 2 + 64,
            "{}",
            buf.capacity()
        );
    }

    #[tokio::test]
    async fn a_host_takes_at_most_its_cap_and_leaves_nothing_behind() {
        let gate = HostGate::new(1);
        let first = gate.enter("a.test").await;
        let other = gate.enter("b.test").await;
        let mut second = Box::pin(gate.enter("a.test"));
        // The second holder of a.test cannot get in while the first holds it.
        assert!(futures_util::poll!(second.as_mut()).is_pending());
        drop(first);
        let second = match futures_util::poll!(second.as_mut()) {
            std::task::Poll::Ready(p) => p,
            std::task::Poll::Pending => panic!("the slot was freed"),
        };
        assert_eq!(gate.tracked(), 2);
        drop(second);
        drop(other);
        assert_eq!(gate.tracked(), 0);
    }

    #[test]
    fn the_worst_verdict_wins() {
        let mut summary = Summary::default();
        for status in [exit::GOOD, exit::FAILING, exit::WEAK] {
            summary.add(status);
        }
        assert_eq!(summary.worst, Some(exit::FAILING));
        summary.add(exit::UNTRUSTED);
        assert_eq!(summary.worst, Some(exit::UNTRUSTED));
        summary.add(exit::SCAN_FAILED);
        summary.add(exit::GOOD);
        assert_eq!(summary.worst, Some(exit::SCAN_FAILED));
        summary.add(exit::USAGE);
        assert_eq!(summary.worst, Some(exit::USAGE));
        assert_eq!(summary.targets, 7);
    }

    #[test]
    fn bounds_are_checked() {
        let options = |parallel, per_host| BulkOptions {
            source: Source::Stdin,
            parallel,
            per_host,
            json: false,
            mode: ScanMode::Full,
            progress: Some(false),
        };
        assert!(matches!(options(0, 1).check(), Err(BulkError::Parallel(0))));
        assert!(options(MAX_PARALLEL + 1, 1).check().is_err());
        assert!(matches!(
            options(4, 0).check(),
            Err(BulkError::PerHost { .. })
        ));
        assert!(options(4, 5).check().is_err());
        assert!(options(4, 4).check().is_ok());
    }
}
