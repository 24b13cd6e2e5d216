//! State shared by replicas through Redis (`serve --redis`): the report cache, the rate-limit
//! windows, and the scan locks that make single-flight cluster-wide (see
//! `ScanBroker::lead_or_follow`). Without `--redis` none of this exists and the in-process structures
//! ([`ReportCache`](super::cache::ReportCache), [`RateLimiter`](super::limits::RateLimiter))
//! are the whole story; with it they ask Redis first and keep their local state as the
//! fallback.
//!
//! Redis down or slow never holds a request: every call is bounded by [`REDIS_TIMEOUT`], and
//! a failed call answers `None` — the caller then uses its local structure — logs one line
//! when Redis goes away (and one when it is back), counts a fallback in the metrics, and keeps
//! Redis out of the path for [`RETRY_AFTER`] so that a dead Redis costs requests nothing.
//! After that the next call tries again: the client's connection manager reconnects.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::web::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands as _, Script};
use tokio::sync::OnceCell;

use super::api_error::ApiFailure;
use super::cache::{Cached, Outcome, ScanKey};
use super::metrics::Metrics;

/// The longest one Redis call may take before the local structures answer instead.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// How long Redis stays out of the path after a failed call.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Every key this probe writes starts so (a Redis shared with other things stays tidy).
const PREFIX: &str = "probe:v1:";

/// A window's counter: INCR, its expiry set by the first request of the window, and a request
/// over the limit not counted (so a client hammering a full window does not extend it).
/// Returns {1, 0} when admitted, {0, ms until the window ends} when not.
const TAKE: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  redis.call('DECR', KEYS[1])
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
  end
  return {0, left}
end
return {1, 0}
";

/// Gives back one request of a window, if the window is still there.
const REFUND: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0
";

/// Takes the scan lock of a target for ARGV[1] ms if nobody holds it, with a fencing token
/// from one counter (KEYS[2]) so that a holder whose lease ran out cannot release the lock of
/// the next. Returns the token, or 0 when another replica holds the lock.
const LOCK: &str = r"
local token = redis.call('INCR', KEYS[2])
if redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[1]) then return token end
return 0
";

/// Releases the lock if it is still the one taken with token ARGV[1].
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// The Redis side of the shared state (see the module docs).
pub struct RedisShared {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    metrics: Arc<Metrics>,
    /// Whether the last call succeeded (for the log line and the gauge).
    up: AtomicBool,
    /// Redis is skipped until then after a failure.
    skip_until: Mutex<Option<Instant>>,
    take: Script,
    refund: Script,
    lock: Script,
    unlock: Script,
}

impl std::fmt::Debug for RedisShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisShared")
            .field("up", &self.up.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Checks a `--redis` URL (`redis://`, `rediss://`, `redis+unix://`) without connecting.
pub fn check_url(url: &str) -> Result<(), String> {
    redis::Client::open(url)
        .map(|_| ())
        .map_err(|e| format!("--redis {url:?}: {e}"))
}

impl RedisShared {
    /// A client for `url`; it connects on first use (a Redis down at start only means the
    /// local fallback until it answers).
    pub fn new(url: &str, metrics: Arc<Metrics>) -> Result<Arc<Self>, String> {
        let client = redis::Client::open(url).map_err(|e| format!("--redis {url:?}: {e}"))?;
        Ok(Arc::new(Self {
            client,
            connection: OnceCell::new(),
            metrics,
            up: AtomicBool::new(true),
            skip_until: Mutex::new(None),
            take: Script::new(TAKE),
            refund: Script::new(REFUND),
            lock: Script::new(LOCK),
            unlock: Script::new(UNLOCK),
        }))
    }

    /// Whether the last call reached Redis.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(RETRY_AFTER);
        self.connection
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }

    /// Runs `call` within [`REDIS_TIMEOUT`]; `None` (and the fallback's bookkeeping) if it
    /// fails, times out, or Redis is being skipped after a recent failure.
    async fn run<T, F, Fut>(&self, what: &'static str, call: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let skipping = self
            .skip_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|until| Instant::now() < until);
        if skipping {
            self.metrics.redis_fallback();
            return None;
        }
        let result = tokio::time::timeout(REDIS_TIMEOUT, async {
            let connection = self.connection().await?;
            call(connection).await
        })
        .await;
        let error = match result {
            Ok(Ok(value)) => {
                *self.skip_until.lock().unwrap_or_else(|e| e.into_inner()) = None;
                if !self.up.swap(true, Ordering::Relaxed) {
                    tracing::info!("Redis answers again: the cache and rate limits are shared");
                }
                return Some(value);
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", REDIS_TIMEOUT.as_millis()),
        };
        *self.skip_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + RETRY_AFTER);
        self.metrics.redis_fallback();
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                call = what,
                error = %error,
                "Redis unreachable: this replica uses its own cache and rate limits until it answers"
            );
        }
        None
    }

    /// The cached outcome for `key`: `None` when Redis did not answer, `Some(None)` on a miss.
    pub async fn get_report(&self, key: &ScanKey) -> Option<Option<Cached>> {
        Some(self.get_stamped(key).await?.map(|(_, cached)| cached))
    }

    /// [`get_report`](Self::get_report), with when the outcome was stored (ms since the
    /// epoch, as the replica that stored it saw it): what tells one outcome from the next.
    pub async fn get_stamped(&self, key: &ScanKey) -> Option<Option<(u64, Cached)>> {
        let name = report_key(key);
        let value: Option<Vec<u8>> = self
            .run("get report", |mut c| async move { c.get(name).await })
            .await?;
        Some(value.and_then(|v| decode(&v)))
    }

    /// Stores `outcome` for `key` for `ttl` (best effort: a failure is logged and counted).
    pub async fn put_report(&self, key: &ScanKey, outcome: &Outcome, ttl: Duration) {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return;
        }
        let name = report_key(key);
        let value = encode(outcome);
        let _: Option<()> = self
            .run("put report", |mut c| async move {
                redis::cmd("SET")
                    .arg(name)
                    .arg(value)
                    .arg("PX")
                    .arg(millis)
                    .query_async(&mut c)
                    .await
            })
            .await;
    }

    /// Takes one request of `limit` per minute from the window `kind`/`key`: `None` when Redis
    /// did not answer, else admitted or how long until the window ends.
    pub async fn take(&self, kind: &str, key: &str, limit: u32) -> Option<Result<(), Duration>> {
        let name = format!("{PREFIX}rate:{kind}:{key}");
        let (admitted, left): (i64, i64) = self
            .run("take a rate token", |mut c| async move {
                self.take
                    .key(name)
                    .arg(60_000)
                    .arg(limit)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Some(if admitted == 1 {
            Ok(())
        } else {
            Err(Duration::from_millis(
                u64::try_from(left.max(1)).unwrap_or(1),
            ))
        })
    }

    /// Gives one request back to the window `kind`/`key`.
    pub async fn refund(&self, kind: &str, key: &str) {
        let name = format!("{PREFIX}rate:{kind}:{key}");
        let _: Option<i64> = self
            .run("refund a rate token", |mut c| async move {
                self.refund.key(name).invoke_async(&mut c).await
            })
            .await;
    }
}

impl RedisShared {
    /// Takes the cluster-wide scan lock of `key` for `lease`: `None` when Redis did not
    /// answer, `Some(None)` when another replica holds it, else the lock's fencing token.
    pub async fn lock(&self, key: &ScanKey, lease: Duration) -> Option<Option<i64>> {
        let name = lock_key(key);
        let millis = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
        let token: i64 = self
            .run("take a scan lock", |mut c| async move {
                self.lock
                    .key(name)
                    .key(format!("{PREFIX}fence"))
                    .arg(millis)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Some((token > 0).then_some(token))
    }

    /// Whether some replica holds the scan lock of `key` (`None`: Redis did not answer).
    pub async fn is_locked(&self, key: &ScanKey) -> Option<bool> {
        let name = lock_key(key);
        self.run(
            "read a scan lock",
            |mut c| async move { c.exists(name).await },
        )
        .await
    }

    /// Releases the scan lock of `key` if it is still the one `token` took.
    pub async fn unlock(&self, key: &ScanKey, token: i64) {
        let name = lock_key(key);
        let _: Option<i64> = self
            .run("release a scan lock", |mut c| async move {
                self.unlock.key(name).arg(token).invoke_async(&mut c).await
            })
            .await;
    }
}

impl RedisShared {
    /// Publishes one update of the scan of `key` this replica leads, for the replicas that
    /// follow it (best effort: a lost update only means a follower's stream skips it).
    pub async fn publish_progress(&self, key: &ScanKey, payload: Vec<u8>) {
        let name = progress_channel(key);
        let _: Option<i64> = self
            .run("publish scan progress", |mut c| async move {
                c.publish(name, payload).await
            })
            .await;
    }

    /// The updates another replica publishes for the scan of `key` from now on, on a
    /// connection of their own (a subscribed connection can do nothing else); `None` when
    /// Redis does not answer within [`REDIS_TIMEOUT`]. The stream ends when that connection
    /// does; the caller bounds how long it reads.
    pub async fn follow_progress(&self, key: &ScanKey) -> Option<redis::aio::PubSubStream> {
        let name = progress_channel(key);
        let subscribed = tokio::time::timeout(REDIS_TIMEOUT, async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(name).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await;
        match subscribed {
            Ok(Ok(pubsub)) => Some(pubsub.into_on_message()),
            _ => {
                self.metrics.redis_fallback();
                None
            }
        }
    }
}

/// The pub/sub channel of the scan of `key`'s updates.
fn progress_channel(key: &ScanKey) -> String {
    format!("{PREFIX}progress:{}", &report_key(key)[PREFIX.len()..])
}

fn lock_key(key: &ScanKey) -> String {
    format!("{PREFIX}lock:{}", &report_key(key)[PREFIX.len()..])
}

fn report_key(key: &ScanKey) -> String {
    let endpoint = key.endpoint.map(|e| e.to_string()).unwrap_or_default();
    format!(
        "{PREFIX}report:{}:{}:{}:{}:{endpoint}",
        if key.full { "full" } else { "quick" },
        key.target.port(),
        key.sni.as_deref().unwrap_or(""),
        key.target.host(),
    )
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredFailure {
    error: shared::ApiError,
    retry_after: Option<u64>,
}

/// When it was stored (ms since the epoch, 8 bytes), `R` and the report's JSON or `E` and the
/// failure's.
fn encode(outcome: &Outcome) -> Vec<u8> {
    let mut out = unix_millis().to_be_bytes().to_vec();
    match outcome {
        Ok(json) => {
            out.push(b'R');
            out.extend_from_slice(json);
        }
        Err(failure) => {
            out.push(b'E');
            let stored = StoredFailure {
                error: failure.error.clone(),
                retry_after: failure.retry_after,
            };
            out.extend(serde_json::to_vec(&stored).unwrap_or_default());
        }
    }
    out
}

/// The inverse of [`encode`]; `None` for anything else (another version's value: a miss).
fn decode(value: &[u8]) -> Option<(u64, Cached)> {
    let stamp: [u8; 8] = value.get(..8)?.try_into().ok()?;
    let stamp = u64::from_be_bytes(stamp);
    let age = Duration::from_millis(unix_millis().saturating_sub(stamp));
    let body = value.get(9..)?;
    let outcome = match value.get(8)? {
        b'R' => Ok(Bytes::copy_from_slice(body)),
        b'E' => {
            let stored: StoredFailure = serde_json::from_slice(body).ok()?;
            Err(ApiFailure {
                error: stored.error,
                retry_after: stored.retry_after,
            })
        }
        _ => return None,
    };
    Some((stamp, Cached { outcome, age }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ErrorCode;

    #[test]
    fn outcomes_survive_the_round_trip_and_junk_is_a_miss() {
        let (stamp, report) = decode(&encode(&Ok(Bytes::from_static(b"{\"a\":1}")))).unwrap();
        assert!(stamp > 0);
        assert_eq!(report.outcome.unwrap(), Bytes::from_static(b"{\"a\":1}"));
        assert!(report.age < Duration::from_secs(5));
        let failure =
            ApiFailure::new(ErrorCode::Timeout, "slow").retry_after(Duration::from_secs(7));
        let back = decode(&encode(&Err(failure)))
            .unwrap()
            .1
            .outcome
            .unwrap_err();
        assert_eq!(back.code(), ErrorCode::Timeout);
        assert_eq!(back.error.message, "slow");
        assert_eq!(back.retry_after, Some(7));
        assert!(decode(b"short").is_none());
        assert!(decode(b"\0\0\0\0\0\0\0\0Xjunk").is_none());
    }

    #[test]
    fn bad_urls_are_refused_before_any_connection() {
        assert!(check_url("redis://127.0.0.1:6379/").is_ok());
        assert!(check_url("http://nowhere").is_err());
    }
}

/// The due-scan queue of watches (a stream and its consumer group).
pub mod jobs;
