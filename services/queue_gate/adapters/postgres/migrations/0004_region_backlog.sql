-- How many submissions wait in each region's line, kept by triggers in the transaction of
-- every change: intake reads a region's backlog (for its cap, and a new ticket's place in
-- line) from one row, however long the line has grown during an outage.
CREATE TABLE region_backlog (
    region_code text   PRIMARY KEY,
    waiting     bigint NOT NULL DEFAULT 0  -- never below 0; no CHECK: upserts propose deltas
);

INSERT INTO region_backlog (region_code, waiting)
SELECT region_code, count(*)
  FROM submission
 WHERE state IN ('queued', 'deferred', 'dispatching')
 GROUP BY region_code;

-- One statement-level trigger per kind of change; each adds up its rows per region.
-- Regions are locked in code order, and only where the count changes.
CREATE FUNCTION count_waiting_submissions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO region_backlog AS b (region_code, waiting)
        SELECT region_code, count(*) FROM added_rows
         WHERE state IN ('queued', 'deferred', 'dispatching')
         GROUP BY region_code ORDER BY region_code
        ON CONFLICT (region_code) DO UPDATE SET waiting = b.waiting + EXCLUDED.waiting;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO region_backlog AS b (region_code, waiting)
        SELECT region_code, sum(delta) FROM (
            SELECT region_code, 1 AS delta FROM new_rows
             WHERE state IN ('queued', 'deferred', 'dispatching')
            UNION ALL
            SELECT region_code, -1 FROM old_rows
             WHERE state IN ('queued', 'deferred', 'dispatching')
        ) AS changes
         GROUP BY region_code HAVING sum(delta) <> 0 ORDER BY region_code
        ON CONFLICT (region_code) DO UPDATE SET waiting = b.waiting + EXCLUDED.waiting;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE region_backlog AS b SET waiting = b.waiting - gone.n
          FROM (SELECT region_code, count(*) AS n FROM removed_rows
                 WHERE state IN ('queued', 'deferred', 'dispatching')
                 GROUP BY region_code) AS gone
         WHERE b.region_code = gone.region_code;
    ELSE  -- TRUNCATE
        DELETE FROM region_backlog;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER submission_added AFTER INSERT ON submission
    REFERENCING NEW TABLE AS added_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_waiting_submissions();
CREATE TRIGGER submission_changed AFTER UPDATE ON submission
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_waiting_submissions();
CREATE TRIGGER submission_removed AFTER DELETE ON submission
    REFERENCING OLD TABLE AS removed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_waiting_submissions();
CREATE TRIGGER submission_emptied AFTER TRUNCATE ON submission
    FOR EACH STATEMENT EXECUTE FUNCTION count_waiting_submissions();
