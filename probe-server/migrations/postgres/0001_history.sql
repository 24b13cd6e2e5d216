-- Every full scan's summary and its report (gzip of the JSON), newest found by target.
CREATE TABLE scans (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host TEXT NOT NULL,
    port BIGINT NOT NULL,
    scanned_at TEXT NOT NULL,
    scanned_unix BIGINT NOT NULL,
    grade TEXT NOT NULL,
    leaf_sha256 TEXT,
    leaf_not_after TEXT,
    finding_ids TEXT NOT NULL,
    endpoints TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    report_gzip BYTEA NOT NULL
);
CREATE INDEX scans_by_target ON scans (host, port, scanned_unix DESC, id DESC);
