-- Merges of `events` wait for about twenty parts of a size rather than five
-- (ClickHouse's merge_selector_base, default 5). The processor writes parts
-- of up to 200,000 events; with the default, every few inserts a merge
-- rewrites rows just written, which on a busy pipeline costs as much CPU as
-- a seventh of the inserts themselves and competes with them. With 20 a row
-- is rewritten about half as often over the table's life (log base 20 instead
-- of log base 5 of its size in parts), at the price of more parts between
-- merges: tens, not the hundreds at which ClickHouse slows inserts down.
ALTER TABLE events MODIFY SETTING merge_selector_base = 20;
