-- Rejected raw input, kept with the reason. The dead-letter log is the source of
-- truth; this table is its projection for dashboards and analysts.
CREATE TABLE IF NOT EXISTS dead_letters
(
    id String,
    received_at DateTime64(3, 'UTC'),
    origin LowCardinality(String),
    line Nullable(UInt32),
    errors Array(Tuple(field String, reason String)),
    reason String,
    raw String,
    log_partition UInt32,
    log_offset UInt64
)
ENGINE = MergeTree
ORDER BY (received_at, id);
