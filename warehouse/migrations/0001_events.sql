-- One row per event id: the envelope, `data` as JSON, and where the event sits in the log.
-- `day` is the business day in China Standard Time, the unit of every daily figure.
-- Ordered by (log_partition, occurred_at): a re-sent event lands in its original's
-- partition with its original's time, so the processors find duplicates by
-- reading one narrow range instead of every id.
-- The projection keeps the daily rollup inside each part, so the rollup is written
-- atomically with the rows it sums and can never disagree with them.
CREATE TABLE IF NOT EXISTS events
(
    id String,
    type LowCardinality(String),
    schema_version UInt16,
    occurred_at DateTime64(3, 'UTC'),
    day Date DEFAULT toDate(occurred_at, 'Asia/Shanghai'),
    org LowCardinality(String),
    region LowCardinality(String),
    quantity UInt64,
    customer_ref Nullable(String),
    source LowCardinality(String),
    data JSON,
    log_partition UInt32,
    log_offset UInt64,
    ingested_at DateTime64(3, 'UTC'),
    PROJECTION daily_rollup
    (
        SELECT day, org, region, type, sum(quantity), count()
        GROUP BY day, org, region, type
    )
)
ENGINE = MergeTree
ORDER BY (log_partition, occurred_at, id);
