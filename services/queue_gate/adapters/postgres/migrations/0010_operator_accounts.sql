-- Operators of the console, their sessions, and what they did outside region controls
-- (whose changes region_control_audit keeps).
CREATE TABLE operator_account (
    name          text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    role          text        NOT NULL CHECK (role IN ('viewer', 'operator')),
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The cookie's token is kept only as its SHA-256: a read of this table opens no session.
CREATE TABLE operator_session (
    token_hash   text        PRIMARY KEY,
    operator     text        NOT NULL REFERENCES operator_account (name) ON DELETE CASCADE,
    role         text        NOT NULL,
    csrf_token   text        NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX operator_session_idle ON operator_session (last_seen_at);

CREATE TABLE operator_action_audit (
    id      bigserial   PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text        NOT NULL,
    action  text        NOT NULL,
    subject text        NOT NULL,
    reason  text,
    detail  jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX operator_action_audit_at ON operator_action_audit (at DESC);
