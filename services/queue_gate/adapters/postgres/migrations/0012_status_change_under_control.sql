-- A status change stored in one call with the region's control read in it: no round trip of
-- its own before the call. As apply_status_change (0011), plus news_override[i], the override
-- operators may have set ('auto' also stands for no control row) under which news_after[i] /
-- news_state[i] / news_key[i] / news_value[i] is the news. The caller works out the gate under
-- the overrides it gives (handlers/region_gate.py keeps that rule); the function only picks the
-- entry matching the stored override and what was told, and tells nothing when none does.
-- Returns the override read when the change was applied, or NULL when it was not (a duplicate,
-- or older than what is stored).
-- Committed without waiting for the WAL flush (decision 25): a status change's offset is
-- committed to Kafka only after a synchronous commit has flushed it (WalFlushBarrier); a crash
-- before that loses the change here, and Kafka hands its record to the gate again.
-- apply_status_change stays for replicas of the previous version during a rolling upgrade.
CREATE FUNCTION store_status_change(
    change_region_code text,
    change_status text,
    change_seq bigint,
    change_since timestamptz,
    change_reason text,
    change_expected_return_at timestamptz,
    change_epoch bigint,
    wake_channel text,
    wake_payload text,
    news_topic text,
    news_override text[],
    news_after text[],
    news_state text[],
    news_key bytea[],
    news_value bytea[]
) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    applied timestamptz;
    controlled text;
    told text;
    picked integer;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);  -- this transaction only
    INSERT INTO region_status AS known
        (region_code, status, seq, since, reason, expected_return_at, epoch)
    VALUES (change_region_code, change_status, change_seq, change_since, change_reason,
            change_expected_return_at, change_epoch)
    ON CONFLICT (region_code) DO UPDATE
       SET status = EXCLUDED.status, seq = EXCLUDED.seq, since = EXCLUDED.since,
           reason = EXCLUDED.reason, expected_return_at = EXCLUDED.expected_return_at,
           epoch = EXCLUDED.epoch, applied_at = now()
     WHERE (known.epoch, known.seq) < (EXCLUDED.epoch, EXCLUDED.seq)
    RETURNING known.applied_at INTO applied;
    IF applied IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify(wake_channel, wake_payload);
    IF coalesce(cardinality(news_after), 0) > 0 THEN
        -- Held until commit, as PostgresGateAnnouncer holds it: each turn is told once.
        INSERT INTO gate_told (region_code) VALUES (change_region_code)
        ON CONFLICT (region_code) DO NOTHING;
        SELECT coalesce(gate_state, 'closed') INTO told
          FROM gate_told WHERE region_code = change_region_code FOR UPDATE;
    END IF;
    -- Read under that lock: a control an operator committed before it is the one obeyed; one
    -- committed after wakes the board, whose announcement waits for this lock and sees this.
    SELECT override INTO controlled FROM region_control WHERE region_code = change_region_code;
    controlled := coalesce(controlled, 'auto');
    IF told IS NULL THEN
        RETURN controlled;  -- nothing to tell (no sightings given)
    END IF;
    SELECT i INTO picked FROM generate_subscripts(news_after, 1) AS i
     WHERE news_override[i] = controlled AND news_after[i] = told;
    IF picked IS NOT NULL THEN
        INSERT INTO outbox (topic, key, value)
        VALUES (news_topic, news_key[picked], news_value[picked]);
        UPDATE gate_told SET gate_state = news_state[picked], told_at = now()
         WHERE region_code = change_region_code;
    END IF;
    RETURN controlled;
END
$$;
