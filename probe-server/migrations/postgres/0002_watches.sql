-- Watched sites: rescanned every every_secs; a scan is due at next_due_ms (Unix ms). A run
-- claims its watch until claimed_until_ms with claim_token, so that replicas sharing the
-- database never run one watch twice at once and a run whose lease ran out cannot finish
-- another's.
CREATE TABLE watches (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host TEXT NOT NULL,
    port BIGINT NOT NULL,
    every_secs BIGINT NOT NULL,
    webhook_url TEXT,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_due_ms BIGINT NOT NULL,
    claimed_until_ms BIGINT,
    claim_token BIGINT,
    last_scan_id BIGINT,
    last_run_at TEXT,
    last_error TEXT,
    runs BIGINT NOT NULL DEFAULT 0,
    UNIQUE (host, port)
);
CREATE INDEX watches_due ON watches (next_due_ms);

-- What changed between two scans of a watch, to be posted to its webhook: one row per
-- (watch, dedup_key), so a change is alerted once however often it is seen. state: pending
-- (to deliver at next_attempt_ms), delivered, failed (attempts ran out), stored (no webhook).
CREATE TABLE alerts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    watch_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT,
    UNIQUE (watch_id, dedup_key)
);
CREATE INDEX alerts_due ON alerts (state, next_attempt_ms);
