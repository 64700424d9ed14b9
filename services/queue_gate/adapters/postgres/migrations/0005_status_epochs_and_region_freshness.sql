-- A region's status is ordered by (epoch, seq): a new epoch (the status topic was recreated
-- and the monitor counts from 1 again) replaces what is stored. Rows of before are epoch 0.
ALTER TABLE region_status ADD COLUMN epoch bigint NOT NULL DEFAULT 0 CHECK (epoch >= 0);

-- When a heartbeat last listed each region: a region no monitor lists any more goes stale.
CREATE TABLE region_heartbeat (
    region_code text        PRIMARY KEY,
    monitor_id  text        NOT NULL,
    heard_at    timestamptz NOT NULL DEFAULT now()
);

-- A heartbeat stamped in the future (a clock stepped back) would hold off every later one.
UPDATE monitor_heartbeat SET emitted_at = now() WHERE emitted_at > now();

-- What subscribers were last told of each region's gate (NULL: nothing yet). Telling is
-- conditional on this row, locked, so each change is told once whichever replica sees it.
CREATE TABLE gate_told (
    region_code text        PRIMARY KEY,
    gate_state  text        CHECK (gate_state IN ('open', 'closed', 'recovering')),
    told_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO gate_told (region_code, gate_state)
SELECT region_code, CASE WHEN status IN ('UP', 'DEGRADED') THEN 'open' ELSE 'closed' END
  FROM region_status;
