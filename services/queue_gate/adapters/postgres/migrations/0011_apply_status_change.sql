-- A status change stored in one call, one round trip instead of seven: the change if its
-- (epoch, seq) is newer; then, only if it was, the wake-up (sent at commit) and what
-- subscribers are told of the gate, in the same transaction. The caller works out the news
-- (domain/gate_news.py) for each state subscribers may have been told: news_after[i] is that
-- state ('closed' also stands for never told), news_state[i] the state told then and
-- news_key[i] / news_value[i] the outbox record. Returns when the change was applied, or
-- NULL when it was not (a duplicate, or older than what is stored).
CREATE FUNCTION apply_status_change(
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
    news_after text[],
    news_state text[],
    news_key bytea[],
    news_value bytea[]
) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    applied timestamptz;
    told text;
    picked integer;
BEGIN
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
    IF coalesce(cardinality(news_after), 0) = 0 THEN
        RETURN applied;  -- nothing to tell (no sighting given, or no news whatever was told)
    END IF;
    -- Held until commit, as PostgresGateAnnouncer holds it: each turn is told once.
    INSERT INTO gate_told (region_code) VALUES (change_region_code)
    ON CONFLICT (region_code) DO NOTHING;
    SELECT coalesce(gate_state, 'closed') INTO told
      FROM gate_told WHERE region_code = change_region_code FOR UPDATE;
    picked := array_position(news_after, told);
    IF picked IS NOT NULL THEN
        INSERT INTO outbox (topic, key, value)
        VALUES (news_topic, news_key[picked], news_value[picked]);
        UPDATE gate_told SET gate_state = news_state[picked], told_at = now()
         WHERE region_code = change_region_code;
    END IF;
    RETURN applied;
END
$$;
