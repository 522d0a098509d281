-- What the operations tables hold, for the data dictionary; and what
-- events.schema_version holds now that a type has a second version.

ALTER TABLE replays MODIFY COMMENT 'Replays of the log into shadow tables (continuity replay), one row per change of state; the highest version of an id is its state';
ALTER TABLE replays COMMENT COLUMN id 'replay id, e.g. 20260124_101500_ab12; shadow tables are <table>_replay_<id>, previous tables <table>_before_<id>';
ALTER TABLE replays COMMENT COLUMN version 'orders the rows of one replay: the highest is its current state';
ALTER TABLE replays COMMENT COLUMN status 'seeding, building, swapping (finish with --resume), swapped, abandoned, cleaned';
ALTER TABLE replays COMMENT COLUMN from_position 'where the replay started: earliest, a log time (UTC) or <partition>:<offset>';
ALTER TABLE replays COMMENT COLUMN log_kind 'the event log adapter: embedded or kafka';
ALTER TABLE replays COMMENT COLUMN started_at 'when the replay started (UTC)';
ALTER TABLE replays COMMENT COLUMN updated_at 'when this state was written (UTC)';
ALTER TABLE replays COMMENT COLUMN plan 'JSON, per rebuilt table: live, shadow and previous table names, the replay''s consumer group, start offsets per partition, rows copied, row counts at the swap';
ALTER TABLE replays COMMENT COLUMN message 'why it stopped, or what it swapped';

ALTER TABLE dead_letter_redrives MODIFY COMMENT 'Every re-drive of a dead letter (continuity deadletters redrive) and its outcome; the latest row of a letter is its state';
ALTER TABLE dead_letter_redrives COMMENT COLUMN letter_id 'id of the dead letter (dead_letters.id)';
ALTER TABLE dead_letter_redrives COMMENT COLUMN redrive_id 'one re-drive run: every letter it looked at shares it';
ALTER TABLE dead_letter_redrives COMMENT COLUMN redriven_at 'when the letter was validated again (UTC)';
ALTER TABLE dead_letter_redrives COMMENT COLUMN outcome 'appended (valid now, appended to the events log), duplicate (valid now, its event already loaded), failing (still invalid)';
ALTER TABLE dead_letter_redrives COMMENT COLUMN event_id 'the event id when the letter is valid now; it counts once however often the letter is re-driven';
ALTER TABLE dead_letter_redrives COMMENT COLUMN log_partition 'events log partition the event was appended to (outcome appended)';
ALTER TABLE dead_letter_redrives COMMENT COLUMN log_offset 'events log offset the event was appended at (outcome appended)';
ALTER TABLE dead_letter_redrives COMMENT COLUMN errors 'outcome failing: every problem found now, as (field, reason)';
ALTER TABLE dead_letter_redrives COMMENT COLUMN reason 'outcome failing: the problems now, in one sentence';

ALTER TABLE events COMMENT COLUMN schema_version 'version of the type''s data as stored: the type''s latest when the row was loaded (events of older versions are upcast at ingest and on load, so a replay after a new version stores the new shape)';
