//! `probe-server watch add|list|remove|scan`: the watched sites, in the same store as the
//! history (`--data-dir`, `--database`); the served probe rescans them.

use std::io::Write as _;

use clap::{Args, Subcommand};

use super::exit;
use super::history::StoreArgs;
use crate::store::Store;
use crate::store::watches::{NewWatch, Watch};
use crate::target::Target;
use crate::watch::{self, WebhookUrl};

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(subcommand)]
    pub command: WatchCommand,
    #[command(flatten)]
    pub store: WatchStore,
}

/// [`StoreArgs`], given before or after the subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct WatchStore {
    /// The directory of the embedded SQLite store [default: $XDG_DATA_HOME/probe-server,
    /// else ~/.local/share/probe-server].
    #[arg(long, value_name = "DIR", env = "PROBE_DATA_DIR", global = true)]
    pub data_dir: Option<std::path::PathBuf>,
    /// A PostgreSQL database instead (postgres://user:password@host/db).
    #[arg(
        long,
        value_name = "URL",
        env = "PROBE_DATABASE",
        conflicts_with = "data_dir",
        global = true
    )]
    pub database: Option<String>,
}

impl WatchStore {
    fn location(&self) -> crate::store::Location {
        StoreArgs {
            data_dir: self.data_dir.clone(),
            database: self.database.clone(),
        }
        .location()
    }
}

#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Watch a site: the served probe scans it now and then every --every, and posts what
    /// changed to --webhook (signed: X-Probe-Signature: sha256=HMAC-SHA256 of the body under
    /// the secret printed here).
    Add {
        /// The site: host[:port] (port 443 by default).
        #[arg(value_name = "HOST[:PORT]")]
        target: String,
        /// How often: a number and a unit, s m h d (5m to 30d).
        #[arg(long, value_name = "INTERVAL", default_value = "6h")]
        every: String,
        /// Where alerts are posted (https:// or http://); without it they are only stored.
        #[arg(long, value_name = "URL")]
        webhook: Option<String>,
    },
    /// Every watched site.
    List {
        /// JSON Lines, one watch per line.
        #[arg(long)]
        json: bool,
    },
    /// Stop watching a site.
    Remove {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Make a watch due now (the served probe scans it at its next poll).
    Scan {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

fn row(watch: &Watch) -> String {
    format!(
        "{:>5}  {:<40}  {:>8}  {:<10}  {:<25}  {}\n",
        watch.id,
        format!("{}:{}", watch.host, watch.port),
        watch::format_every(watch.every_secs),
        watch.last_error.as_deref().map_or_else(
            || if watch.runs == 0 {
                "not yet".to_owned()
            } else {
                "ok".to_owned()
            },
            |_| "failing".to_owned()
        ),
        watch.last_run_at.as_deref().unwrap_or("-"),
        watch.webhook_url.as_deref().unwrap_or("-"),
    )
}

pub async fn run(args: WatchArgs) -> u8 {
    // Input is checked before the store is opened: a typo costs no database connection.
    let new = match &args.command {
        WatchCommand::Add {
            target,
            every,
            webhook,
        } => {
            let checked = Target::parse(target)
                .map_err(|e| e.to_string())
                .and_then(|t| Ok((t, watch::parse_every(every)?)))
                .and_then(|(t, every)| {
                    if let Some(url) = webhook {
                        WebhookUrl::parse(url)?;
                    }
                    Ok((t, every, watch::new_secret()?))
                });
            match checked {
                Ok((target, every, secret)) => Some(NewWatch {
                    host: target.host().to_string(),
                    port: target.port(),
                    every_secs: every.as_secs(),
                    webhook_url: webhook.clone(),
                    secret,
                }),
                Err(e) => {
                    eprintln!("error: {e}");
                    return exit::USAGE;
                }
            }
        }
        _ => None,
    };
    let store = match Store::open(&args.store.location()).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let status = command(&store, &args.command, new).await;
    store.close().await;
    status
}

async fn command(store: &Store, command: &WatchCommand, new: Option<NewWatch>) -> u8 {
    let mut out = String::new();
    let status = match (command, new) {
        (WatchCommand::Add { .. }, Some(new)) => match store.add_watch(&new).await {
            Ok(Ok(watch)) => {
                out.push_str(&format!(
                    "watch {}: {}:{} every {}, first scan at the served probe's next poll\n\
                     webhook secret (X-Probe-Signature: sha256=HMAC-SHA256 of the body): {}\n",
                    watch.id,
                    watch.host,
                    watch.port,
                    watch::format_every(watch.every_secs),
                    new.secret
                ));
                exit::GOOD
            }
            Ok(Err(id)) => {
                eprintln!(
                    "error: {}:{} is watched already (watch {id}); remove it first to change it",
                    new.host, new.port
                );
                exit::USAGE
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
        (WatchCommand::List { json }, _) => match store.watches().await {
            Ok(watches) => {
                if *json {
                    for watch in &watches {
                        out.push_str(&serde_json::to_string(watch).unwrap_or_default());
                        out.push('\n');
                    }
                } else if watches.is_empty() {
                    eprintln!("no watches in {}", store.location());
                } else {
                    out.push_str(&format!(
                        "{:>5}  {:<40}  {:>8}  {:<10}  {:<25}  {}\n",
                        "ID", "SITE", "EVERY", "STATE", "LAST RUN", "WEBHOOK"
                    ));
                    for watch in &watches {
                        out.push_str(&row(watch));
                    }
                }
                exit::GOOD
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
        (WatchCommand::Remove { id }, _) => match store.remove_watch(*id).await {
            Ok(true) => {
                out.push_str(&format!("watch {id} removed\n"));
                exit::GOOD
            }
            Ok(false) => {
                eprintln!("error: there is no watch {id}");
                exit::USAGE
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
        (WatchCommand::Scan { id }, _) => match store.make_due(*id).await {
            Ok(true) => {
                out.push_str(&format!("watch {id} is due now\n"));
                exit::GOOD
            }
            Ok(false) => {
                eprintln!("error: there is no watch {id}");
                exit::USAGE
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
        (WatchCommand::Add { .. }, None) => exit::USAGE,
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    status
}
