//! What the probe keeps between runs: the history of full scans.
//!
//! One code path for both databases: `sqlx`'s `Any` driver, chosen by the URL at run time
//! (SQLite embedded by default, in the data directory; PostgreSQL when `--database
//! postgres://…` names one). Every query is written once with `$N` placeholders, which both
//! drivers accept, and binds only the types both share (`BIGINT`, `TEXT`, a byte string). Only
//! the migrations differ by dialect (an identity column, `BLOB` against `BYTEA`): they are
//! two directories, embedded in the binary and run at every start (a new version of the
//! probe upgrades its database by itself; sqlx's table of applied migrations with checksums
//! refuses a database changed by hand). `Any` over a trait with two pools: the queries are
//! the part that grows (history, then watches and alerts), and writing each twice is where
//! two back ends drift apart.

pub mod history;
pub mod watches;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// The SQLite file in the data directory.
pub const SQLITE_FILE: &str = "probe-server.sqlite3";

/// The longest a query may wait for a connection of the pool (a database that is down
/// fails the request with an error instead of hanging it).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// SQLite in this directory (created if missing).
    DataDir(PathBuf),
    /// A `postgres://` (or `postgresql://`) URL, or a `sqlite:` one.
    Url(String),
}

/// Which database a store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store could not be opened or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("--database must be a postgres:// or sqlite: URL, not {0:?}")]
    Url(String),
    #[error("cannot create the data directory {path}: {error}")]
    DataDir {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot open the database {location}: {error}")]
    Open {
        location: String,
        error: sqlx::Error,
    },
    #[error("cannot migrate the database {location}: {error}")]
    Migrate {
        location: String,
        error: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("cannot encode or decode a stored report: {0}")]
    Codec(String),
}

/// The default data directory: `$XDG_DATA_HOME/probe-server`, else
/// `$HOME/.local/share/probe-server`, else `./probe-server-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("probe-server");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".local/share/probe-server");
    }
    PathBuf::from("probe-server-data")
}

/// The migrations of one dialect, embedded in the binary.
fn migrator(backend: Backend) -> Migrator {
    let history = match backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0001_history.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0001_history.sql"),
    };
    let watches = match backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0002_watches.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0002_watches.sql"),
    };
    let migrations = vec![
        Migration::new(
            1,
            Cow::Borrowed("history"),
            MigrationType::Simple,
            Cow::Borrowed(history),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("watches"),
            MigrationType::Simple,
            Cow::Borrowed(watches),
            false,
        ),
    ];
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// An open, migrated store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Where it is, without a password (for messages).
    location: String,
}

fn backend_of(url: &str) -> Option<Backend> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Backend::Postgres)
    } else if url.starts_with("sqlite:") {
        Some(Backend::Sqlite)
    } else {
        None
    }
}

/// The URL with any password replaced, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates.
    pub async fn open(location: &Location) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let url = match location {
            Location::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|error| StoreError::DataDir {
                    path: dir.clone(),
                    error,
                })?;
                sqlite_url(&dir.join(SQLITE_FILE))
            }
            Location::Url(url) => url.clone(),
        };
        let backend = backend_of(&url).ok_or_else(|| StoreError::Url(redact(&url)))?;
        let shown = redact(&url);
        // SQLite takes one writer at a time: a small pool, and WAL so readers never wait.
        let max = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|error| StoreError::Open {
                location: shown.clone(),
                error,
            })?;
        migrator(backend)
            .run(&pool)
            .await
            .map_err(|error| StoreError::Migrate {
                location: shown.clone(),
                error,
            })?;
        Ok(Self {
            pool,
            backend,
            location: shown,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the store is (any password hidden).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Closes the pool (waits for queries in flight).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A SQLite URL that creates the file.
fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://probe:s3cret@db.internal:5432/probe"),
            "postgres://probe:***@db.internal:5432/probe"
        );
        assert_eq!(
            redact("postgres://probe@db/probe"),
            "postgres://probe@db/probe"
        );
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn only_the_two_databases_are_accepted() {
        assert_eq!(backend_of("postgres://h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("sqlite:///x"), Some(Backend::Sqlite));
        assert_eq!(backend_of("mysql://h/db"), None);
        assert_eq!(backend_of("/var/lib/x.db"), None);
    }
}
