-- Parts of `events` up to 256 MiB are written compact (all columns in one file)
-- rather than wide (files per column and per JSON path): an insert of a few
-- hundred thousand events writes one file instead of dozens, which is a
-- measurable part of its cost; merges still make large parts wide.
ALTER TABLE events MODIFY SETTING min_bytes_for_wide_part = 268435456;
