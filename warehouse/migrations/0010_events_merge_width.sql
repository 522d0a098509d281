-- A merge of `events` takes at most ten parts at once (ClickHouse's default is
-- 100). With inserts of up to 150,000 events running two at a time, the
-- merges of about twenty parts that 0009 lets gather held about 100 MiB while
-- both inserts' blocks were in memory, taking a loader's process to 1 GiB at
-- 8,000,000 events; merges of ten parts hold about half that, and on that
-- run spent less CPU (5.0 against 6.6-7.5 CPU-seconds).
ALTER TABLE events MODIFY SETTING max_parts_to_merge_at_once = 10;
