//! `probe-server history HOST`: the stored full scans of a host, newest first; and where the
//! CLI's store is (`--data-dir`, `--database`, shared with `scan`).

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::exit;
use crate::store::history::{DEFAULT_LIMIT, HistoryEntry, MAX_LIMIT};
use crate::store::{Location, Store, default_data_dir};
use crate::target::Target;

/// Where the history is kept.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreArgs {
    /// The directory of the embedded SQLite history [default: $XDG_DATA_HOME/probe-server,
    /// else ~/.local/share/probe-server].
    #[arg(long, value_name = "DIR", env = "PROBE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL database for the history instead (postgres://user:password@host/db);
    /// migrations run by themselves.
    #[arg(
        long,
        value_name = "URL",
        env = "PROBE_DATABASE",
        conflicts_with = "data_dir"
    )]
    pub database: Option<String>,
}

impl StoreArgs {
    /// The store named, or the default data directory.
    pub fn location(&self) -> Location {
        match (&self.database, &self.data_dir) {
            (Some(url), _) => Location::Url(url.clone()),
            (None, Some(dir)) => Location::DataDir(dir.clone()),
            (None, None) => Location::DataDir(default_data_dir()),
        }
    }

    /// The store when one was named (the CLI's `scan` records only then).
    pub fn named(&self) -> Option<Location> {
        (self.database.is_some() || self.data_dir.is_some()).then(|| self.location())
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The host (a port here, or --port, narrows it to one port).
    #[arg(value_name = "HOST[:PORT]")]
    pub host: String,
    /// Only this port.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Scans shown at most, newest first (1-500).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    pub limit: u32,
    /// JSON Lines, one scan per line (the API's entries) instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The host and port asked for: `HOST` (any port) or `HOST:PORT`.
fn host_and_port(args: &HistoryArgs) -> Result<(String, Option<u16>), String> {
    let target = Target::parse(&args.host).map_err(|e| e.to_string())?;
    let written_port = names_a_port(&args.host);
    let port = match (args.port, written_port) {
        (Some(p), true) if p != target.port() => {
            return Err(format!(
                "{} names port {} but --port {p} was given",
                args.host,
                target.port()
            ));
        }
        (Some(p), _) => Some(p),
        (None, true) => Some(target.port()),
        (None, false) => None,
    };
    Ok((target.host().to_string(), port))
}

/// Whether the input writes a port (`a.test:8443`, `[2001:db8::1]:8443`,
/// `https://a.test:8443/`); a bare IPv6 address does not.
fn names_a_port(input: &str) -> bool {
    let text = input.trim();
    let text = text.strip_prefix("https://").unwrap_or(text);
    let authority = text.split('/').next().unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(rest) => rest.contains("]:"),
        None => authority.matches(':').count() == 1,
    }
}

fn row(entry: &HistoryEntry) -> String {
    let addresses: Vec<String> = entry
        .endpoints
        .iter()
        .map(|e| match (&e.grade, &e.error) {
            (Some(g), _) => format!("{} {g}", e.ip),
            (None, Some(_)) => format!("{} failed", e.ip),
            (None, None) => e.ip.to_string(),
        })
        .collect();
    format!(
        "{:<25}  {:>5}  {:<5}  {:>8}  {:<16}  {:<25}  {}  {}\n",
        entry.scanned_at,
        entry.port,
        entry.grade.to_string(),
        entry.finding_ids.len(),
        entry
            .leaf_sha256
            .as_deref()
            .map_or("-".to_owned(), |f| f.chars().take(16).collect()),
        entry.leaf_not_after.as_deref().unwrap_or("-"),
        addresses.join(", "),
        entry.finding_ids.join(" "),
    )
}

pub async fn run(args: HistoryArgs) -> u8 {
    if !(1..=MAX_LIMIT).contains(&args.limit) {
        eprintln!(
            "error: --limit must be between 1 and {MAX_LIMIT}, not {}",
            args.limit
        );
        return exit::USAGE;
    }
    let (host, port) = match host_and_port(&args) {
        Ok(hp) => hp,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let store = match Store::open(&args.store.location()).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let entries = match store.history(&host, port, args.limit).await {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    store.close().await;
    let mut out = String::new();
    if args.json {
        for entry in &entries {
            out.push_str(&serde_json::to_string(entry).unwrap_or_default());
            out.push('\n');
        }
    } else if entries.is_empty() {
        eprintln!("no scans of {host} stored in {}", store.location());
    } else {
        out.push_str(&format!(
            "{:<25}  {:>5}  {:<5}  {:>8}  {:<16}  {:<25}  {}  {}\n",
            "SCANNED", "PORT", "GRADE", "FINDINGS", "LEAF SHA-256", "EXPIRES", "ADDRESSES", "IDS"
        ));
        for entry in &entries {
            out.push_str(&row(entry));
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    exit::GOOD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_named_only_when_written() {
        for (input, named) in [
            ("a.test", false),
            ("a.test:8443", true),
            ("https://a.test:8443/x", true),
            ("https://a.test/x:1", false),
            ("2001:db8::1", false),
            ("[2001:db8::1]:443", true),
            ("192.0.2.1:443", true),
        ] {
            assert_eq!(names_a_port(input), named, "{input}");
        }
    }
}
