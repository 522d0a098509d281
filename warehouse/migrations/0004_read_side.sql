-- The read side: what each column means (docs/data-dictionary.md is generated
-- from these comments), when a row reached the warehouse, the display of
-- figures in 万/亿, and one named view per question the dashboards answer.
-- Views keep their columns and meaning across migrations: analysts' queries
-- and the dashboards' SQL depend on them.

ALTER TABLE events MODIFY COMMENT 'One row per event id: the envelope, data as JSON, and where the event sits in the log';
ALTER TABLE events COMMENT COLUMN id 'the event''s id (UUID or ULID); unique in the table, the idempotency key end to end';
ALTER TABLE events COMMENT COLUMN type 'event type: suspension.waived, disconnection.deferred, late_fee.waived, online.transaction, repair.reported/dispatched/arrived/completed';
ALTER TABLE events COMMENT COLUMN schema_version 'version of the type''s data the producer sent (older versions are upcast before loading)';
ALTER TABLE events COMMENT COLUMN occurred_at 'when the business fact happened, as an instant in UTC';
ALTER TABLE events COMMENT COLUMN day 'business day of occurred_at in China Standard Time (Asia/Shanghai): the unit of every daily figure';
ALTER TABLE events COMMENT COLUMN org 'code of the issuing organisation (sgcc, sgcc-sh, csg, csg-gd, csg-sz, china-telecom, china-unicom, china-mobile, cr-gas, or from the operator''s catalog)';
ALTER TABLE events COMMENT COLUMN region '6-digit GB/T 2260 code of the administrative division, province or prefecture (310000 上海, 420100 武汉)';
ALTER TABLE events COMMENT COLUMN quantity 'person-times or items the event stands for (a daily report of 1,000,000 deferrals is one event)';
ALTER TABLE events COMMENT COLUMN customer_ref 'pseudonymous customer key, never a raw account number; NULL for aggregate reports';
ALTER TABLE events COMMENT COLUMN source 'producing system, for audit';
ALTER TABLE events COMMENT COLUMN data 'type-specific fields: data.service, data.kind, data.channel, data.amount_cny, data.order_id, data.priority, data.deferred_until … (cast with ::String, ::Float64)';
ALTER TABLE events COMMENT COLUMN log_partition 'partition of the event log holding the event';
ALTER TABLE events COMMENT COLUMN log_offset 'offset of the event in its log partition';
ALTER TABLE events COMMENT COLUMN ingested_at 'when the event log accepted the event (UTC)';

-- When the processor wrote the row: loaded_at − ingested_at is the processing
-- lag. Added as NULL and materialised before the default is set, so rows
-- loaded before this migration read NULL instead of the time of the query.
ALTER TABLE events ADD COLUMN IF NOT EXISTS loaded_at Nullable(DateTime64(3, 'UTC')) DEFAULT NULL COMMENT 'when the processor wrote the row to the warehouse (UTC); NULL for rows loaded before migration 0004' AFTER ingested_at;
ALTER TABLE events MATERIALIZE COLUMN loaded_at SETTINGS mutations_sync = 2;
ALTER TABLE events MODIFY COLUMN loaded_at DEFAULT now64(3);

ALTER TABLE dead_letters MODIFY COMMENT 'Rejected input, kept with the reason; the dead-letter log is the source of truth, this table its projection';
ALTER TABLE dead_letters COMMENT COLUMN id 'id of the dead letter';
ALTER TABLE dead_letters COMMENT COLUMN received_at 'when the input was rejected (UTC)';
ALTER TABLE dead_letters COMMENT COLUMN origin 'where the input came from: http, file:<name>, processor:<topic>';
ALTER TABLE dead_letters COMMENT COLUMN line 'line number in the request or file; NULL when the input was not line-based';
ALTER TABLE dead_letters COMMENT COLUMN errors 'every problem found, as (field, reason)';
ALTER TABLE dead_letters COMMENT COLUMN reason 'the problems in one sentence';
ALTER TABLE dead_letters COMMENT COLUMN raw 'the input exactly as received';
ALTER TABLE dead_letters COMMENT COLUMN log_partition 'partition of the dead-letter log holding the letter';
ALTER TABLE dead_letters COMMENT COLUMN log_offset 'offset of the letter in the dead-letter log';

ALTER TABLE schema_migrations MODIFY COMMENT 'Migrations applied to this warehouse, one row each';
ALTER TABLE schema_migrations COMMENT COLUMN version 'number of the migration file (warehouse/migrations/NNNN_name.sql)';
ALTER TABLE schema_migrations COMMENT COLUMN name 'file name without .sql';
ALTER TABLE schema_migrations COMMENT COLUMN checksum 'checksum of the file when applied; an applied migration is never edited';
ALTER TABLE schema_migrations COMMENT COLUMN applied_at 'when it was applied (UTC)';

ALTER TABLE daily_rollups MODIFY COMMENT 'Daily totals by (day, org, region, type), answered from the projection stored inside events';
ALTER TABLE daily_rollups COMMENT COLUMN day 'business day in China Standard Time';
ALTER TABLE daily_rollups COMMENT COLUMN org 'org code';
ALTER TABLE daily_rollups COMMENT COLUMN region 'GB/T 2260 region code';
ALTER TABLE daily_rollups COMMENT COLUMN type 'event type';
ALTER TABLE daily_rollups COMMENT COLUMN quantity 'sum of quantity';
ALTER TABLE daily_rollups COMMENT COLUMN events 'number of events';

-- Figures in 万/亿 as the dashboards print them: continuity_cn_units(1169500)
-- = '116.95万', (1748000000) = '17.48亿', (7500) = '7,500'. Rounded half away
-- from zero on the hundredths, exactly as dashboards/viewer/units.js (a test
-- holds the two equal).
CREATE OR REPLACE FUNCTION continuity_hundredths_text AS (h, separate) -> concat(
    if(separate AND intDiv(h, 100) >= 1000,
       concat(toString(intDiv(h, 100000)), ',', leftPad(toString(intDiv(h, 100) % 1000), 3, '0')),
       toString(intDiv(h, 100))),
    multiIf(h % 100 = 0, '', h % 10 = 0, concat('.', toString(intDiv(h % 100, 10))), concat('.', leftPad(toString(h % 100), 2, '0'))));
CREATE OR REPLACE FUNCTION continuity_cn_units_in AS (v, unit) -> concat(
    if(v < 0 AND floor(abs(v) * 100 / unit + 0.5) > 0, '-', ''),
    continuity_hundredths_text(toUInt64(floor(abs(v) * 100 / unit + 0.5)), unit = 1),
    multiIf(unit = 100000000, '亿', unit = 10000, '万', ''));
CREATE OR REPLACE FUNCTION continuity_cn_units AS (x) ->
    continuity_cn_units_in(toFloat64(x), multiIf(abs(toFloat64(x)) >= 100000000, 100000000, abs(toFloat64(x)) >= 10000, 10000, 1));

-- Totals per commitment, day, org and region: the overview's workhorse.
CREATE OR REPLACE VIEW commitments_daily
(
    day Date COMMENT 'business day in China Standard Time',
    org LowCardinality(String) COMMENT 'org code',
    region LowCardinality(String) COMMENT 'GB/T 2260 region code as reported (province or prefecture)',
    province String COMMENT 'GB/T 2260 code of the region''s province (420100 武汉 → 420000 湖北): the dashboards'' region filter',
    type LowCardinality(String) COMMENT 'event type',
    service String COMMENT 'data.service: power, telecom, gas, water; empty for online transactions and repairs',
    kind String COMMENT 'data.kind: payment, service_ticket, business, registration (online); gas_leak, outage, line_fault, meter, other (repairs); empty otherwise',
    channel String COMMENT 'data.channel of online transactions: app, wechat, web, hotline, terminal, counter; empty otherwise',
    quantity UInt64 COMMENT 'sum of quantity: person-times, households, transactions or items',
    amount_cny Decimal(18, 2) COMMENT 'sum of data.amount_cny in yuan (late fees waived, payments); 0 where the type has no amount',
    events UInt64 COMMENT 'number of events'
)
AS SELECT
    day,
    org,
    region,
    concat(substring(region, 1, 2), '0000') AS province,
    type,
    data.service::String AS service,
    data.kind::String AS kind,
    data.channel::String AS channel,
    sum(quantity) AS quantity,
    sum(toDecimal64OrZero(data.amount_cny::String, 2)) AS amount_cny,
    count() AS events
FROM events
GROUP BY day, org, region, type, service, kind, channel
COMMENT 'Totals per commitment (type, service, kind, channel), business day, org and region';

-- Online and offline transactions, for the online share.
CREATE OR REPLACE VIEW online_transactions_daily
(
    day Date COMMENT 'business day in China Standard Time',
    org LowCardinality(String) COMMENT 'org code',
    region LowCardinality(String) COMMENT 'GB/T 2260 region code as reported',
    province String COMMENT 'GB/T 2260 code of the region''s province',
    kind String COMMENT 'payment, service_ticket, business, registration',
    channel String COMMENT 'app, wechat, web, hotline, terminal, counter',
    online Bool COMMENT 'true for the online channels: app, wechat, web',
    quantity UInt64 COMMENT 'transactions'
)
AS SELECT day, org, region, province, kind, channel, channel IN ('app', 'wechat', 'web') AS online, quantity
FROM commitments_daily
WHERE type = 'online.transaction'
COMMENT 'Online transactions by day, org, region, kind and channel; online = handled without a counter, hotline or terminal';

-- One row per repair work order, from its four events. Overdue: arrival more
-- than 60 minutes after the report for urgent orders, 120 for the others; an
-- order not yet arrived is overdue once its limit has passed.
CREATE OR REPLACE VIEW repair_orders
(
    org LowCardinality(String) COMMENT 'org code',
    order_id String COMMENT 'data.order_id, unique within the org',
    day Date COMMENT 'business day (China Standard Time) the order was reported, or first seen',
    region LowCardinality(String) COMMENT 'GB/T 2260 region code',
    province String COMMENT 'GB/T 2260 code of the region''s province',
    kind String COMMENT 'data.kind: gas_leak, outage, line_fault, meter, other',
    priority String COMMENT 'data.priority: urgent or normal (normal when not given)',
    reported_at Nullable(DateTime64(3, 'UTC')) COMMENT 'repair.reported',
    dispatched_at Nullable(DateTime64(3, 'UTC')) COMMENT 'repair.dispatched',
    arrived_at Nullable(DateTime64(3, 'UTC')) COMMENT 'repair.arrived',
    completed_at Nullable(DateTime64(3, 'UTC')) COMMENT 'repair.completed',
    minutes_to_arrive Nullable(Float64) COMMENT 'minutes from report to arrival; NULL until both are known',
    minutes_to_complete Nullable(Float64) COMMENT 'minutes from report to completion; NULL until both are known',
    arrive_limit_minutes UInt16 COMMENT 'the arrival limit the order is held to: 60 urgent, 120 normal',
    overdue Bool COMMENT 'arrived later than the limit, or not arrived and the limit has passed'
)
AS SELECT
    org,
    order_id,
    toDate(ifNull(reported_at, first_seen), 'Asia/Shanghai') AS day,
    region,
    concat(substring(region, 1, 2), '0000') AS province,
    kind,
    priority,
    reported_at,
    dispatched_at,
    arrived_at,
    completed_at,
    dateDiff('millisecond', reported_at, arrived_at) / 60000 AS minutes_to_arrive,
    dateDiff('millisecond', reported_at, completed_at) / 60000 AS minutes_to_complete,
    toUInt16(if(priority = 'urgent', 60, 120)) AS arrive_limit_minutes,
    toBool(multiIf(
        reported_at IS NULL, false,
        arrived_at IS NOT NULL, minutes_to_arrive > arrive_limit_minutes,
        dateDiff('millisecond', reported_at, now64(3)) / 60000 > arrive_limit_minutes)) AS overdue
FROM
(
    SELECT
        org,
        data.order_id::String AS order_id,
        min(occurred_at) AS first_seen,
        argMin(region, occurred_at) AS region,
        argMin(data.kind::String, occurred_at) AS kind,
        if(max(data.priority::String = 'urgent'), 'urgent', 'normal') AS priority,
        minIfOrNull(occurred_at, type = 'repair.reported') AS reported_at,
        minIfOrNull(occurred_at, type = 'repair.dispatched') AS dispatched_at,
        minIfOrNull(occurred_at, type = 'repair.arrived') AS arrived_at,
        minIfOrNull(occurred_at, type = 'repair.completed') AS completed_at
    FROM events
    WHERE type IN ('repair.reported', 'repair.dispatched', 'repair.arrived', 'repair.completed')
    GROUP BY org, order_id
)
COMMENT 'One row per repair work order: times of its four steps, minutes to arrive and complete, and whether it is overdue';

-- Per event: how late the producer reported it and how long the pipeline took.
CREATE OR REPLACE VIEW event_latency
(
    id String COMMENT 'event id',
    type LowCardinality(String) COMMENT 'event type',
    org LowCardinality(String) COMMENT 'org code',
    region LowCardinality(String) COMMENT 'GB/T 2260 region code',
    province String COMMENT 'GB/T 2260 code of the region''s province',
    source LowCardinality(String) COMMENT 'producing system',
    occurred_at DateTime64(3, 'UTC') COMMENT 'when the business fact happened',
    ingested_at DateTime64(3, 'UTC') COMMENT 'when the event log accepted it',
    loaded_at DateTime64(3, 'UTC') COMMENT 'when the processor wrote it to the warehouse',
    report_delay_s Float64 COMMENT 'seconds from occurred_at to ingested_at: how late the producer sent it',
    processing_lag_s Float64 COMMENT 'seconds from ingested_at to loaded_at: the pipeline''s own lag'
)
AS SELECT
    id, type, org, region, concat(substring(region, 1, 2), '0000') AS province, source, occurred_at, ingested_at,
    assumeNotNull(loaded_at) AS loaded_at,
    dateDiff('millisecond', occurred_at, ingested_at) / 1000 AS report_delay_s,
    dateDiff('millisecond', ingested_at, assumeNotNull(loaded_at)) / 1000 AS processing_lag_s
FROM events
WHERE loaded_at IS NOT NULL
COMMENT 'Per event loaded since migration 0004: producer report delay and pipeline processing lag';

-- Each producing system's latest event: is anyone silent?
CREATE OR REPLACE VIEW producers
(
    source LowCardinality(String) COMMENT 'producing system',
    org LowCardinality(String) COMMENT 'org code',
    events UInt64 COMMENT 'events loaded from this producer',
    quantity UInt64 COMMENT 'sum of quantity',
    first_occurred_at DateTime64(3, 'UTC') COMMENT 'earliest business time',
    last_occurred_at DateTime64(3, 'UTC') COMMENT 'latest business time',
    last_ingested_at DateTime64(3, 'UTC') COMMENT 'when the log last accepted an event of this producer',
    last_loaded_at Nullable(DateTime64(3, 'UTC')) COMMENT 'when the last of its events reached the warehouse'
)
AS SELECT source, org, count() AS events, sum(quantity) AS quantity, min(occurred_at) AS first_occurred_at,
    max(occurred_at) AS last_occurred_at, max(ingested_at) AS last_ingested_at, max(loaded_at) AS last_loaded_at
FROM events
GROUP BY source, org
COMMENT 'One row per producing system and org: how many events, and when the last one happened, arrived and was loaded';
