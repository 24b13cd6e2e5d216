//! The due scans of watches as jobs on one Redis stream, consumed by a consumer group of all
//! replicas (`serve --redis`).
//!
//! - **Producing** is leader-less: every replica enqueues the slots it sees due in the store,
//!   each behind a `SET NX PX` on the slot (watch id and due time) in the same script, so a
//!   slot is enqueued once however many replicas see it.
//! - **Consuming**: each replica asks for one job at a time — first an entry another consumer
//!   has held idle longer than the lease (`XAUTOCLAIM`: that replica died or hung), else a new
//!   one (`XREADGROUP … >`). It acknowledges (and deletes) the entry only once the run is
//!   recorded, so a replica killed in the middle leaves it pending, to be claimed by another.
//! - The store's claim ([`crate::store::watches`]) is what makes a run exclusive; the stream is
//!   what spreads the work and hands over a dead replica's. A Redis that lost its data (a
//!   restart without persistence) loses no scan: the slots are still due in the store and are
//!   enqueued again, and while Redis is down each replica claims due watches from the store
//!   directly.

use std::time::Duration;

use redis::Script;

use super::{PREFIX, RedisShared};

/// The consumer group every replica joins.
pub const GROUP: &str = "watchers";

/// The stream's key.
pub fn stream_key() -> String {
    format!("{PREFIX}watch-jobs")
}

/// Enqueues the slot KEYS[2] once: ARGV[1] ms of slot lock, ARGV[2] the watch, ARGV[3] its
/// due time. Returns 1 when enqueued, 0 when the slot was enqueued already.
const ENQUEUE: &str = r"
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', '100000', '*', 'watch', ARGV[2], 'due', ARGV[3])
  return 1
end
return 0
";

/// One job for consumer ARGV[2] of group ARGV[1]: an entry idle more than ARGV[3] ms (taken
/// over), else a new one; the group is created first if it is not there (a new or restarted
/// Redis). Returns {id, {field, value, ...}} or nil.
const NEXT: &str = r"
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', 1)
local entries = claimed[2]
if entries and #entries > 0 and entries[1] then return entries[1] end
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
if read and read[1] and #read[1][2] > 0 then return read[1][2][1] end
return nil
";

/// Acknowledges and deletes entry ARGV[2] of group ARGV[1].
const DONE: &str = r"
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
";

/// One due scan taken from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The stream entry (to acknowledge).
    pub entry: String,
    pub watch_id: i64,
    pub due_ms: i64,
}

impl RedisShared {
    /// Enqueues the slot `due_ms` of watch `watch_id` unless some replica did: `None` when
    /// Redis did not answer, else whether this call enqueued it.
    pub async fn enqueue_watch(
        &self,
        watch_id: i64,
        due_ms: i64,
        slot_lock: Duration,
    ) -> Option<bool> {
        let slot = format!("{PREFIX}watch-slot:{watch_id}:{due_ms}");
        let millis = u64::try_from(slot_lock.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let added: i64 = self
            .run("enqueue a watch", |mut c| async move {
                Script::new(ENQUEUE)
                    .key(stream_key())
                    .key(slot)
                    .arg(millis)
                    .arg(watch_id)
                    .arg(due_ms)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Some(added == 1)
    }

    /// The next job for `consumer` (see the module docs): `None` when Redis did not answer,
    /// `Some(None)` when there is none.
    pub async fn next_watch_job(&self, consumer: &str, lease: Duration) -> Option<Option<Job>> {
        let millis = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
        let consumer = consumer.to_owned();
        let entry: Option<(String, Vec<String>)> = self
            .run("take a watch job", |mut c| async move {
                Script::new(NEXT)
                    .key(stream_key())
                    .arg(GROUP)
                    .arg(consumer)
                    .arg(millis)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let Some((id, fields)) = entry else {
            return Some(None);
        };
        let field = |name: &str| {
            fields
                .chunks(2)
                .find(|pair| pair.first().map(String::as_str) == Some(name))
                .and_then(|pair| pair.get(1))
                .and_then(|v| v.parse::<i64>().ok())
        };
        match (field("watch"), field("due")) {
            (Some(watch_id), Some(due_ms)) => Some(Some(Job {
                entry: id,
                watch_id,
                due_ms,
            })),
            // Not an entry of ours (another version's): acknowledged so it is not retried.
            _ => {
                self.finish_watch_job(&id).await;
                Some(None)
            }
        }
    }

    /// Acknowledges and deletes a job's entry (best effort: an entry left behind is claimed
    /// later, finds its slot done, and is acknowledged then).
    pub async fn finish_watch_job(&self, entry: &str) {
        let entry = entry.to_owned();
        let _: Option<i64> = self
            .run("finish a watch job", |mut c| async move {
                Script::new(DONE)
                    .key(stream_key())
                    .arg(GROUP)
                    .arg(entry)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
    }
}
