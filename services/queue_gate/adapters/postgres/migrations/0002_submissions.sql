-- Citizens' submissions, in acceptance order (seq), with their personal data sealed.
CREATE TABLE submission (
    seq              bigserial   PRIMARY KEY,
    ticket_id        text        NOT NULL UNIQUE,
    region_code      text        NOT NULL CHECK (region_code ~ '^[0-9]{2}\.[0-9]{2}$'),
    service_type     text        NOT NULL,
    applicant_key    text        NOT NULL,
    idempotency_key  text        NOT NULL UNIQUE,
    body_fingerprint text        NOT NULL,
    sealed_payload   bytea,
    state            text        NOT NULL CHECK (state IN
        ('queued', 'deferred', 'dispatching', 'delivered', 'parked', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_error       text,
    parked_reason    text,
    siak_reference   text,
    accepted_at      timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    purged_at        timestamptz
);

CREATE INDEX submission_waiting ON submission (region_code, seq)
    WHERE state IN ('queued', 'deferred', 'dispatching');
CREATE INDEX submission_parked ON submission (region_code, applicant_key)
    WHERE state = 'parked';
CREATE INDEX submission_purgeable ON submission (updated_at)
    WHERE state IN ('delivered', 'cancelled') AND sealed_payload IS NOT NULL;

-- Operators' say over a region: overrides, intake mode, replay pause and ceiling.
CREATE TABLE region_control (
    region_code   text        PRIMARY KEY CHECK (region_code ~ '^[0-9]{2}\.[0-9]{2}$'),
    override      text        NOT NULL DEFAULT 'auto'
        CHECK (override IN ('auto', 'force_open', 'force_closed')),
    intake_mode   text        CHECK (intake_mode IN ('defer', 'reject')),
    replay_paused boolean     NOT NULL DEFAULT false,
    max_rate      double precision CHECK (max_rate > 0),
    reason        text,
    changed_by    text,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

-- Every change operators made, who and why.
CREATE TABLE region_control_audit (
    id          bigserial   PRIMARY KEY,
    region_code text        NOT NULL,
    change      jsonb       NOT NULL,
    reason      text,
    changed_by  text        NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);

-- The monitor's last heartbeat: silence for too long makes every region UNKNOWN.
CREATE TABLE monitor_heartbeat (
    monitor_id  text        PRIMARY KEY,
    emitted_at  timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
