//! The measurements, their medians, the Markdown table and `bench/RESULTS.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::findings::Found;
use super::matrix::TargetSpec;
use super::tools::{Ending, Installed, Tool};

/// One tool as run in the bench: the program and any extra arguments (`--connections N`).
#[derive(Clone, Debug)]
pub(crate) struct Contender {
    pub(crate) installed: Installed,
    pub(crate) extra: Vec<String>,
    pub(crate) label: String,
}

impl Contender {
    pub(crate) fn new(installed: Installed, extra: Vec<String>) -> Self {
        let label = if extra.is_empty() {
            installed.tool.name().to_owned()
        } else {
            format!("{} {}", installed.tool.name(), extra.join(" "))
        };
        Self {
            installed,
            extra,
            label,
        }
    }

    /// The label as a file-name part.
    pub(crate) fn slug(&self) -> String {
        self.label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .trim_matches('_')
            .to_owned()
    }

    /// Our probe with no extra arguments: the reference the ratios are taken to.
    fn is_reference(&self) -> bool {
        self.installed.tool == Tool::Probe && self.extra.is_empty()
    }
}

/// What our report says about itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Measurement {
    pub(crate) duration_ms: u64,
    pub(crate) connections: u32,
}

/// One run of one tool on one target.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) wall: Duration,
    /// TCP connections the relay accepted.
    pub(crate) connections: u64,
    /// Of which the server could not be reached for (should be 0).
    pub(crate) upstream_failed: u64,
    /// The most connections in flight at once.
    pub(crate) peak: usize,
    pub(crate) ending: Ending,
    /// The tool exited as after a finished scan.
    pub(crate) completed: bool,
    pub(crate) found: Option<Found>,
    /// Our report's own `duration_ms` and `connections` (ours only).
    pub(crate) measurement: Option<Measurement>,
    pub(crate) command: String,
}

/// Every run, by target and contender.
#[derive(Debug)]
pub(crate) struct Results {
    targets: Vec<TargetSpec>,
    contenders: Vec<Contender>,
    missing: Vec<Tool>,
    runs: usize,
    /// `[target][contender]` → runs.
    cells: Vec<Vec<Vec<Run>>>,
}

/// The summary of one cell.
#[derive(Debug, Default)]
struct Summary {
    completed: usize,
    timed_out: usize,
    failed: usize,
    wall: Option<f64>,
    wall_min: Option<f64>,
    wall_max: Option<f64>,
    connections: Option<f64>,
    peak: Option<f64>,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

fn summarise(runs: &[Run]) -> Summary {
    let ok: Vec<&Run> = runs.iter().filter(|r| r.completed).collect();
    let walls: Vec<f64> = ok.iter().map(|r| r.wall.as_secs_f64()).collect();
    Summary {
        completed: ok.len(),
        timed_out: runs.iter().filter(|r| r.ending == Ending::TimedOut).count(),
        failed: runs
            .iter()
            .filter(|r| !r.completed && r.ending != Ending::TimedOut)
            .count(),
        wall_min: walls.iter().copied().reduce(f64::min),
        wall_max: walls.iter().copied().reduce(f64::max),
        wall: median(walls),
        connections: median(ok.iter().map(|r| r.connections as f64).collect()),
        peak: median(ok.iter().map(|r| r.peak as f64).collect()),
    }
}

fn number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn ratio(theirs: Option<f64>, ours: Option<f64>) -> String {
    match (theirs, ours) {
        (Some(t), Some(o)) if o > 0.0 => format!("{:.1}×", t / o),
        _ => "–".into(),
    }
}

impl Results {
    pub(crate) fn new(
        targets: &[TargetSpec],
        contenders: &[Contender],
        missing: &[Tool],
        runs: usize,
    ) -> Self {
        Self {
            targets: targets.to_vec(),
            contenders: contenders.to_vec(),
            missing: missing.to_vec(),
            runs,
            cells: targets
                .iter()
                .map(|_| contenders.iter().map(|_| Vec::new()).collect())
                .collect(),
        }
    }

    pub(crate) fn add(&mut self, target: usize, contender: usize, run: Run) {
        if let Some(cell) = self
            .cells
            .get_mut(target)
            .and_then(|row| row.get_mut(contender))
        {
            cell.push(run);
        }
    }

    /// The table: one row per target and tool.
    pub(crate) fn markdown(&self, timeout: &Duration) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "| Target | Tool | Wall time, median (min–max) | TCP connections | Most in flight | Time vs ours | Connections vs ours | What it found (last run) |"
        );
        let _ = writeln!(t, "| --- | --- | --- | --- | --- | --- | --- | --- |");
        let reference = self.contenders.iter().position(Contender::is_reference);
        for (ti, spec) in self.targets.iter().enumerate() {
            let summaries: Vec<Summary> = self.cells[ti].iter().map(|c| summarise(c)).collect();
            let ours = reference.and_then(|r| summaries.get(r));
            for (ci, contender) in self.contenders.iter().enumerate() {
                let s = &summaries[ci];
                let time = match (s.wall, s.wall_min, s.wall_max) {
                    (Some(m), Some(lo), Some(hi)) => format!("{m:.2} s ({lo:.2}–{hi:.2})"),
                    _ if s.timed_out > 0 => format!("timed out (> {} s)", timeout.as_secs()),
                    _ => "failed".into(),
                };
                let mut time = time;
                if s.completed > 0 && s.completed < self.cells[ti][ci].len() {
                    let _ = write!(
                        time,
                        " [{} of {} runs: {} timed out, {} failed]",
                        s.completed,
                        self.cells[ti][ci].len(),
                        s.timed_out,
                        s.failed
                    );
                }
                let (time_ratio, conn_ratio) = if Some(ci) == reference {
                    ("1× (ours)".to_owned(), "1× (ours)".to_owned())
                } else {
                    (
                        ratio(s.wall, ours.and_then(|o| o.wall)),
                        ratio(s.connections, ours.and_then(|o| o.connections)),
                    )
                };
                let found = self.cells[ti][ci]
                    .iter()
                    .rev()
                    .find(|r| r.completed)
                    .and_then(|r| r.found.as_ref())
                    .map_or_else(|| "–".into(), ToString::to_string);
                let _ = writeln!(
                    t,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    spec.id,
                    contender.label,
                    time,
                    s.connections.map_or_else(|| "–".into(), number),
                    s.peak.map_or_else(|| "–".into(), number),
                    time_ratio,
                    conn_ratio,
                    found.replace('|', "/"),
                );
            }
            for tool in &self.missing {
                let _ = writeln!(
                    t,
                    "| {} | {} | not installed | – | – | – | – | – |",
                    spec.id,
                    tool.name()
                );
            }
        }
        t
    }

    /// Our probe's own view (report `duration_ms`, `connections` incl. port 80), per target.
    fn own_view(&self) -> String {
        let mut t = String::new();
        let Some(reference) = self.contenders.iter().position(Contender::is_reference) else {
            return t;
        };
        let _ = writeln!(
            t,
            "| Target | Report `duration_ms`, median | Report `connections`, median | Relay-counted, median |"
        );
        let _ = writeln!(t, "| --- | --- | --- | --- |");
        for (ti, spec) in self.targets.iter().enumerate() {
            let runs = &self.cells[ti][reference];
            let own: Vec<Measurement> = runs.iter().filter_map(|r| r.measurement).collect();
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} |",
                spec.id,
                median(own.iter().map(|m| m.duration_ms as f64).collect())
                    .map_or_else(|| "–".into(), |m| format!("{m:.0} ms")),
                median(own.iter().map(|m| f64::from(m.connections)).collect())
                    .map_or_else(|| "–".into(), number),
                summarise(runs)
                    .connections
                    .map_or_else(|| "–".into(), number),
            );
        }
        t
    }

    /// Every run, for the record.
    fn raw(&self) -> String {
        let mut t = String::new();
        for (ti, spec) in self.targets.iter().enumerate() {
            for (ci, contender) in self.contenders.iter().enumerate() {
                let runs: Vec<String> = self.cells[ti][ci]
                    .iter()
                    .map(|r| {
                        let mut s = format!("{:.2} s/{}", r.wall.as_secs_f64(), r.connections);
                        if r.upstream_failed > 0 {
                            let _ = write!(s, " ({} not relayed)", r.upstream_failed);
                        }
                        match r.ending {
                            Ending::Exited(_) if r.completed => {}
                            Ending::Exited(status) => {
                                let _ = write!(s, " (failed: {status})");
                            }
                            Ending::TimedOut => s.push_str(" (timed out)"),
                            Ending::Interrupted => s.push_str(" (interrupted)"),
                        }
                        s
                    })
                    .collect();
                let _ = writeln!(
                    t,
                    "- {} / {}: {}",
                    spec.id,
                    contender.label,
                    runs.join(", ")
                );
            }
        }
        t
    }
}

/// The generated part of RESULTS.md.
pub(crate) fn document(
    results: &Results,
    table: &str,
    machine: &str,
    timeout: &Duration,
    latency: Duration,
) -> String {
    let mut d = String::new();
    if latency.is_zero() {
        let _ = writeln!(d, "## Loopback (no added latency)\n");
    } else {
        let ms = latency.as_millis();
        let _ = writeln!(
            d,
            "## With {ms} ms added each way ({} ms round trip)\n\nThe relays held every byte {ms} ms in each direction, and each new connection one extra round trip before its first byte went through (what TCP's handshake costs on such a link); `--latency-ms {ms}`.\n",
            2 * ms
        );
    }
    let now = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let _ = writeln!(
        d,
        "Measured {now} on {machine}, by `cargo xtask bench` ({} runs per tool and target, interleaved; medians; each run limited to {} s). Other engineers were compiling on the same machine, so single runs are noisy: compare medians, and see the min–max spread.\n",
        results.runs,
        timeout.as_secs()
    );
    let _ = writeln!(d, "### Results\n");
    let _ = writeln!(
        d,
        "Wall time is measured by the bench from spawn to exit (process start-up included). TCP connections are those the counting relay in front of each server accepted; \"most in flight\" is the highest number open at once. Ratios are the tool's median divided by ours (above 1× means the tool is slower or opens more connections).\n"
    );
    let _ = writeln!(d, "{table}");
    let _ = writeln!(
        d,
        "Our own report's view (its `connections` also counts the plain-HTTP connection to port 80, which does not go through the relay):\n"
    );
    let _ = writeln!(d, "{}", results.own_view());
    let _ = writeln!(d, "### Tools\n");
    for c in &results.contenders {
        if c.extra.is_empty() {
            let _ = writeln!(d, "- {}", super::version_line(&c.installed));
        }
    }
    for tool in &results.missing {
        let _ = writeln!(
            d,
            "- {}: not installed ({})",
            tool.name(),
            tool.install_hint()
        );
    }
    let _ = writeln!(d, "\n### Targets\n");
    for spec in &results.targets {
        let _ = writeln!(
            d,
            "- `{}` (`{}`): {}. {}.",
            spec.id, spec.name, spec.summary, spec.config
        );
    }
    let _ = writeln!(d, "\n### What each tool does, and the exact commands\n");
    let _ = writeln!(
        d,
        "`RELAY` is the target's relay port on 127.0.0.1, `HTTP` nginx's plain-HTTP port (or a closed one), `ROOT` the test PKI's root certificate, `OUT.json` the tool's JSON output (read for the \"what it found\" column); shown for the first target, the others differ only in the host name.\n"
    );
    for (ci, c) in results.contenders.iter().enumerate() {
        let command = results
            .cells
            .first()
            .and_then(|row| row.get(ci))
            .and_then(|runs| runs.last())
            .map(|r| r.command.clone())
            .unwrap_or_default();
        // A sweep row is the same scan with another cap: say that, not the default's words.
        let coverage = match c.label.strip_prefix(c.installed.tool.name()) {
            Some(extra) if !extra.trim().is_empty() => format!(
                "The same full scan, run with `{}`: the cap on connections in flight changed from its default of 8.",
                extra.trim()
            ),
            _ => c.installed.tool.coverage().to_owned(),
        };
        let _ = writeln!(
            d,
            "- **{}**: {}\n\n  ```sh\n  {}\n  ```\n",
            c.label, coverage, command
        );
    }
    let _ = writeln!(d, "### Every run (wall time / connections)\n");
    let _ = writeln!(d, "{}", results.raw());
    d
}

/// The name of the generated block of RESULTS.md for a latency.
pub(crate) fn section(latency: Duration) -> String {
    if latency.is_zero() {
        "loopback".into()
    } else {
        format!("latency-{}ms", latency.as_millis())
    }
}

/// Writes `generated` between the markers of `section` in `path`, keeping what is outside them
/// (the analysis, other sections); a file without them gets them appended.
pub(crate) fn write(path: &Path, section: &str, generated: &str) -> Result<(), String> {
    let begin = format!(
        "<!-- bench:begin {section} (generated by `cargo xtask bench`; edit outside these markers) -->"
    );
    let end = format!("<!-- bench:end {section} -->");
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{begin}\n\n{generated}\n{end}");
    let new = match (old.find(&begin), old.find(&end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{block}{}", &old[..b], &old[e + end.len()..])
        }
        _ if old.trim().is_empty() => format!(
            "# Speed: probe-server against sslyze, nmap, sslscan and testssl.sh\n\n{block}\n"
        ),
        _ => format!("{}\n\n{block}\n", old.trim_end()),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, new).map_err(|e| format!("write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn ratios_and_numbers() {
        assert_eq!(ratio(Some(10.0), Some(2.0)), "5.0×");
        assert_eq!(ratio(Some(1.0), None), "–");
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.5), "12.5");
    }

    #[test]
    fn rewrites_only_between_the_markers() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let path = dir.join("RESULTS.md");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(write(&path, "loopback", "first").is_ok());
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str("\n## Analysis\nkept\n");
        assert!(std::fs::write(&path, &text).is_ok());
        assert!(write(&path, "loopback", "second").is_ok());
        assert!(write(&path, "latency-25ms", "other").is_ok());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains("second") && !text.contains("first"));
        assert!(text.contains("## Analysis\nkept"));
        assert!(text.contains("other"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
