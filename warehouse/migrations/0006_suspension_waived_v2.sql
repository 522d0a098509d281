-- suspension.waived v2 adds data.beneficiary: who the service was kept on for
-- (frontline, epidemic_area, resident, epidemic_facility, unspecified). v1
-- events are upcast with 'unspecified', so the column reads the same for rows
-- loaded before v2 (whose data has no beneficiary) and rows loaded or replayed
-- after it. MATERIALIZED: computed from `data` on insert (and on read for older
-- parts), never sent by the loaders, and left out of `SELECT *`.
ALTER TABLE events ADD COLUMN IF NOT EXISTS beneficiary LowCardinality(Nullable(String))
    MATERIALIZED if(type = 'suspension.waived', ifNull(data.beneficiary::Nullable(String), 'unspecified'), NULL)
    COMMENT 'suspension.waived only: who the service was kept on for: frontline, epidemic_area, resident, epidemic_facility, unspecified (v1 events: unspecified); NULL for other types'
    AFTER data;
