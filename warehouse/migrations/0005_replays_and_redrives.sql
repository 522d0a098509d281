-- Operations state kept beside the tables it describes, so it works on either
-- log adapter and survives a crash of the process that wrote it.
--
-- `replays`: one row per change of a replay (`continuity replay`); the highest
-- `version` of an id is its state. `plan` is JSON: per rebuilt table, the shadow
-- and previous-table names, the replay's consumer group and start offsets.
CREATE TABLE IF NOT EXISTS replays
(
    id String,
    version UInt64,
    status LowCardinality(String),
    from_position String,
    log_kind LowCardinality(String),
    started_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    plan String,
    message String
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- `dead_letter_redrives`: every re-drive of a dead letter and its outcome:
-- `appended` (valid now, appended to the events log at log_partition:log_offset),
-- `duplicate` (valid now, its event id was already loaded), `failing` (still
-- invalid; `reason` is the new reason). The latest row of a letter is its state.
CREATE TABLE IF NOT EXISTS dead_letter_redrives
(
    letter_id String,
    redrive_id String,
    redriven_at DateTime64(3, 'UTC'),
    outcome LowCardinality(String),
    event_id Nullable(String),
    log_partition Nullable(UInt32),
    log_offset Nullable(UInt64),
    errors Array(Tuple(field String, reason String)),
    reason String
)
ENGINE = MergeTree
ORDER BY (letter_id, redriven_at);
