//! Watched sites and their alerts.
//!
//! A watch is due at `next_due_ms`. Whoever runs it first *claims* it: one `UPDATE … WHERE`
//! that only succeeds while nobody else holds an unexpired claim, sets `claimed_until_ms`
//! (the lease) and a random `claim_token`. Finishing the run moves `next_due_ms` on only if
//! the token is still the one taken, so a replica that was stopped past its lease cannot
//! finish a run another replica took over. This holds for any number of processes sharing
//! the database (SQLite serialises writers; PostgreSQL re-checks the `WHERE` of an `UPDATE`
//! that waited on the row's lock), with or without Redis.
//!
//! Alerts are an outbox: inserted once per `(watch_id, dedup_key)` (`ON CONFLICT DO
//! NOTHING`, which both databases accept), then delivered by whichever replica claims them
//! the same way, retried with backoff until delivered or out of attempts. Nothing is held in
//! memory only: a restart loses neither a due scan nor an undelivered alert.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::{Store, StoreError};

/// A watched site (its webhook secret stays in the store: see [`Claim::secret`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    pub id: i64,
    pub host: String,
    pub port: u16,
    /// Seconds between two scans.
    pub every_secs: u64,
    /// Where alerts are posted (none: alerts are only stored).
    pub webhook_url: Option<String>,
    /// When the watch was added (RFC 3339).
    pub created_at: String,
    /// When the next scan is due (Unix milliseconds).
    pub next_due_ms: i64,
    /// The history row of the last successful scan.
    pub last_scan_id: Option<i64>,
    /// When the last run ended (RFC 3339).
    pub last_run_at: Option<String>,
    /// Why the last run gave no report (`None`: it did, or none ran yet).
    pub last_error: Option<String>,
    /// Runs finished so far.
    pub runs: u64,
}

/// A watch to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWatch {
    pub host: String,
    pub port: u16,
    pub every_secs: u64,
    pub webhook_url: Option<String>,
    /// The HMAC key webhook bodies are signed with.
    pub secret: String,
}

/// A run of a watch this process holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub watch: Watch,
    pub secret: String,
    /// The claim's fencing token.
    pub token: i64,
    /// The due time this run is for.
    pub due_ms: i64,
}

/// What claiming one due slot of a watch gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotClaim {
    /// This process runs it.
    Claimed(Box<Claim>),
    /// Nothing to run: the watch is gone, or the slot was run already (its due time moved).
    Done,
    /// Another process holds an unexpired claim on it.
    Busy,
}

/// An alert to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub kind: String,
    pub dedup_key: String,
    /// The JSON body posted to the webhook.
    pub payload: String,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: i64,
    pub watch_id: i64,
    pub kind: String,
    pub dedup_key: String,
    pub payload: String,
    /// pending, delivered, failed or stored.
    pub state: String,
    pub attempts: u32,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
}

/// An alert claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub alert_id: i64,
    pub watch_id: i64,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub webhook_url: String,
    pub secret: String,
}

const WATCH_COLUMNS: &str = "id, host, port, every_secs, webhook_url, secret, created_at, \
                             next_due_ms, last_scan_id, last_run_at, last_error, runs";

fn watch_of(row: &sqlx::any::AnyRow) -> Result<(Watch, String), StoreError> {
    let port: i64 = row.try_get("port")?;
    let every: i64 = row.try_get("every_secs")?;
    let runs: i64 = row.try_get("runs")?;
    Ok((
        Watch {
            id: row.try_get("id")?,
            host: row.try_get("host")?,
            port: u16::try_from(port).map_err(|e| StoreError::Codec(e.to_string()))?,
            every_secs: u64::try_from(every).unwrap_or(0),
            webhook_url: row.try_get("webhook_url")?,
            created_at: row.try_get("created_at")?,
            next_due_ms: row.try_get("next_due_ms")?,
            last_scan_id: row.try_get("last_scan_id")?,
            last_run_at: row.try_get("last_run_at")?,
            last_error: row.try_get("last_error")?,
            runs: u64::try_from(runs).unwrap_or(0),
        },
        row.try_get("secret")?,
    ))
}

/// Now, as RFC 3339.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

/// A random claim token (never 0).
fn token() -> i64 {
    use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
    let mut bytes = [0u8; 8];
    // Should the system's random source fail, the clock still tells two claims apart.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        bytes = now_ms().to_be_bytes();
    }
    (i64::from_be_bytes(bytes) & i64::MAX).max(1)
}

impl Store {
    /// Adds a watch, due at once. `Err(id)`: `host:port` is watched already (as `id`).
    pub async fn add_watch(&self, new: &NewWatch) -> Result<Result<Watch, i64>, StoreError> {
        if let Some(existing) = sqlx::query("SELECT id FROM watches WHERE host = $1 AND port = $2")
            .bind(new.host.clone())
            .bind(i64::from(new.port))
            .fetch_optional(&self.pool)
            .await?
        {
            return Ok(Err(existing.try_get::<i64, _>(0)?));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO watches (host, port, every_secs, webhook_url, secret, created_at, \
             next_due_ms, runs) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING {WATCH_COLUMNS}"
        ))
        .bind(new.host.clone())
        .bind(i64::from(new.port))
        .bind(i64::try_from(new.every_secs).unwrap_or(i64::MAX))
        .bind(new.webhook_url.clone())
        .bind(new.secret.clone())
        .bind(now_rfc3339())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await;
        match row {
            Ok(row) => Ok(Ok(watch_of(&row)?.0)),
            // Two adds of one target at once: the unique index refused the second.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                let id = sqlx::query("SELECT id FROM watches WHERE host = $1 AND port = $2")
                    .bind(new.host.clone())
                    .bind(i64::from(new.port))
                    .fetch_one(&self.pool)
                    .await?
                    .try_get::<i64, _>(0)?;
                Ok(Err(id))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every watch, oldest first.
    pub async fn watches(&self) -> Result<Vec<Watch>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {WATCH_COLUMNS} FROM watches ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| watch_of(r).map(|w| w.0)).collect()
    }

    /// One watch.
    pub async fn watch(&self, id: i64) -> Result<Option<Watch>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {WATCH_COLUMNS} FROM watches WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| watch_of(r).map(|w| w.0)).transpose()
    }

    /// Removes a watch and its alerts; `false` if there was none.
    pub async fn remove_watch(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM alerts WHERE watch_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let removed = sqlx::query("DELETE FROM watches WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Makes a watch due now (`watch scan ID`); `false` if there is none.
    pub async fn make_due(&self, id: i64) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("UPDATE watches SET next_due_ms = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                > 0,
        )
    }

    /// Watches due at `now` and not claimed, as (id, due time): the slots to enqueue.
    pub async fn due_slots(&self, now: i64, limit: u32) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, next_due_ms FROM watches WHERE next_due_ms <= $1 \
             AND (claimed_until_ms IS NULL OR claimed_until_ms < $1) \
             ORDER BY next_due_ms LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?)))
            .collect()
    }

    /// Claims the slot `due_ms` of watch `id` for `lease_ms` (see the module docs).
    pub async fn claim_slot(
        &self,
        id: i64,
        due_ms: i64,
        lease_ms: i64,
    ) -> Result<SlotClaim, StoreError> {
        let now = now_ms();
        let token = token();
        let row = sqlx::query(&format!(
            "UPDATE watches SET claimed_until_ms = $1, claim_token = $2 WHERE id = $3 \
             AND next_due_ms = $4 AND (claimed_until_ms IS NULL OR claimed_until_ms < $5) \
             RETURNING {WATCH_COLUMNS}"
        ))
        .bind(now.saturating_add(lease_ms))
        .bind(token)
        .bind(id)
        .bind(due_ms)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            let (watch, secret) = watch_of(&row)?;
            return Ok(SlotClaim::Claimed(Box::new(Claim {
                watch,
                secret,
                token,
                due_ms,
            })));
        }
        let still = sqlx::query("SELECT next_due_ms FROM watches WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match still {
            Some(row) if row.try_get::<i64, _>(0)? == due_ms => SlotClaim::Busy,
            _ => SlotClaim::Done,
        })
    }

    /// Claims the watch most overdue at `now`, if any (the scheduler without Redis).
    pub async fn claim_next_due(&self, lease_ms: i64) -> Result<Option<Claim>, StoreError> {
        // A bounded number of tries: another process may take each candidate first.
        for (id, due) in self.due_slots(now_ms(), 4).await? {
            if let SlotClaim::Claimed(claim) = self.claim_slot(id, due, lease_ms).await? {
                return Ok(Some(*claim));
            }
        }
        Ok(None)
    }

    /// Ends a run: the next scan is due `every_secs` from now, the claim is released. `false`
    /// (and nothing changed) when the claim is no longer this run's.
    pub async fn finish_run(
        &self,
        claim: &Claim,
        scan_id: Option<i64>,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let every_ms = i64::try_from(claim.watch.every_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000);
        let updated = sqlx::query(
            "UPDATE watches SET next_due_ms = $1, claimed_until_ms = NULL, claim_token = NULL, \
             last_scan_id = COALESCE($2, last_scan_id), last_run_at = $3, last_error = $4, \
             runs = runs + 1 WHERE id = $5 AND claim_token = $6",
        )
        .bind(now_ms().saturating_add(every_ms))
        .bind(scan_id)
        .bind(now_rfc3339())
        .bind(error.map(str::to_owned))
        .bind(claim.watch.id)
        .bind(claim.token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated > 0)
    }

    /// Stores the alerts of a run (each `(watch, dedup_key)` once; `webhook`: pending
    /// delivery, else only stored). Returns how many were new.
    pub async fn insert_alerts(
        &self,
        watch_id: i64,
        alerts: &[NewAlert],
        webhook: bool,
    ) -> Result<usize, StoreError> {
        let mut inserted = 0;
        for alert in alerts {
            inserted += sqlx::query(
                "INSERT INTO alerts (watch_id, kind, dedup_key, payload, state, attempts, \
                 next_attempt_ms, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7) \
                 ON CONFLICT (watch_id, dedup_key) DO NOTHING",
            )
            .bind(watch_id)
            .bind(alert.kind.clone())
            .bind(alert.dedup_key.clone())
            .bind(alert.payload.clone())
            .bind(if webhook { "pending" } else { "stored" })
            .bind(now_ms())
            .bind(now_rfc3339())
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(usize::try_from(inserted).unwrap_or(usize::MAX))
    }

    /// The alerts of a watch, oldest first.
    pub async fn alerts(&self, watch_id: i64) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, watch_id, kind, dedup_key, payload, state, attempts, created_at, \
             delivered_at, last_error FROM alerts WHERE watch_id = $1 ORDER BY id",
        )
        .bind(watch_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AlertRow {
                    id: r.try_get("id")?,
                    watch_id: r.try_get("watch_id")?,
                    kind: r.try_get("kind")?,
                    dedup_key: r.try_get("dedup_key")?,
                    payload: r.try_get("payload")?,
                    state: r.try_get("state")?,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(0),
                    created_at: r.try_get("created_at")?,
                    delivered_at: r.try_get("delivered_at")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }

    /// Claims the pending alert due first for one delivery attempt of at most `lease_ms`.
    pub async fn claim_delivery(&self, lease_ms: i64) -> Result<Option<Delivery>, StoreError> {
        let now = now_ms();
        let candidates = sqlx::query(
            "SELECT id FROM alerts WHERE state = 'pending' AND next_attempt_ms <= $1 \
             ORDER BY next_attempt_ms LIMIT 4",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        for candidate in candidates {
            let id: i64 = candidate.try_get(0)?;
            let claimed = sqlx::query(
                "UPDATE alerts SET next_attempt_ms = $1 WHERE id = $2 AND state = 'pending' \
                 AND next_attempt_ms <= $3 RETURNING watch_id, payload, attempts",
            )
            .bind(now.saturating_add(lease_ms))
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = claimed else { continue };
            let watch_id: i64 = row.try_get("watch_id")?;
            let target = sqlx::query("SELECT webhook_url, secret FROM watches WHERE id = $1")
                .bind(watch_id)
                .fetch_optional(&self.pool)
                .await?;
            let url = match &target {
                Some(t) => t.try_get::<Option<String>, _>("webhook_url")?,
                None => None,
            };
            let (Some(target), Some(webhook_url)) = (target, url) else {
                // The watch (or its webhook) went away: nothing to deliver to.
                self.alert_attempted(id, 0, None, Some("the watch has no webhook"))
                    .await?;
                continue;
            };
            return Ok(Some(Delivery {
                alert_id: id,
                watch_id,
                payload: row.try_get("payload")?,
                attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
                webhook_url,
                secret: target.try_get("secret")?,
            }));
        }
        Ok(None)
    }

    /// Records a delivery attempt: `retry_at_ms` `None` with no error: delivered; with an
    /// error: failed for good; `Some`: pending again then.
    pub async fn alert_attempted(
        &self,
        id: i64,
        attempts: u32,
        retry_at_ms: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let (state, delivered_at) = match (retry_at_ms, error) {
            (None, None) => ("delivered", Some(now_rfc3339())),
            (None, Some(_)) => ("failed", None),
            (Some(_), _) => ("pending", None),
        };
        sqlx::query(
            "UPDATE alerts SET state = $1, attempts = $2, next_attempt_ms = $3, \
             delivered_at = $4, last_error = $5 WHERE id = $6",
        )
        .bind(state)
        .bind(i64::from(attempts))
        .bind(retry_at_ms.unwrap_or_else(now_ms))
        .bind(delivered_at)
        .bind(error.map(str::to_owned))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
