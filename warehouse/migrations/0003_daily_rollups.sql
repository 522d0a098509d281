-- Daily totals by (day, org, region, type), answered from the events' projection.
CREATE OR REPLACE VIEW daily_rollups AS
SELECT
    day,
    org,
    region,
    type,
    sum(quantity) AS quantity,
    count() AS events
FROM events
GROUP BY day, org, region, type;
