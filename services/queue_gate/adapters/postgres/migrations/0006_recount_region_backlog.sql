-- Migration 0004 counted each region's line before creating the triggers that keep the
-- count, without a lock: a submission committed in between was counted by neither, and a
-- region whose count reads 0 while one waits is never dispatched. Counted again here with
-- writers held off (SHARE ROW EXCLUSIVE: readers go on; intake waits for this count only).
LOCK TABLE submission IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO region_backlog AS b (region_code, waiting)
SELECT region_code, count(*)
  FROM submission
 WHERE state IN ('queued', 'deferred', 'dispatching')
 GROUP BY region_code
 ORDER BY region_code
ON CONFLICT (region_code) DO UPDATE SET waiting = EXCLUDED.waiting;

UPDATE region_backlog AS b SET waiting = 0
 WHERE b.waiting <> 0
   AND NOT EXISTS (SELECT 1 FROM submission AS s
                    WHERE s.region_code = b.region_code
                      AND s.state IN ('queued', 'deferred', 'dispatching'));
