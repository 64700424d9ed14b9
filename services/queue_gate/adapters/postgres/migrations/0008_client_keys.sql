-- The portals' intake keys: a SHA-256 digest of each (the key itself is shown once and
-- never stored), its rate limit and the regions it may submit for (NULL: all).
CREATE TABLE client_key (
    key_id     text        PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{12}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    digest     text        NOT NULL UNIQUE CHECK (digest ~ '^[0-9a-f]{64}$'),
    rate_per_s double precision NOT NULL CHECK (rate_per_s > 0),
    burst      integer     NOT NULL CHECK (burst >= 1),
    regions    text[],
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text        NOT NULL,
    revoked_at timestamptz,
    revoked_by text
);

-- Every change made to a key: who, what, when and why.
CREATE TABLE client_key_audit (
    id         bigserial   PRIMARY KEY,
    key_id     text        NOT NULL REFERENCES client_key (key_id),
    action     text        NOT NULL CHECK (action IN ('created', 'revoked')),
    change     jsonb       NOT NULL,
    reason     text        NOT NULL,
    changed_by text        NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_key_audit_by_key ON client_key_audit (key_id, id);

-- Which client submitted each submission ('local' for GATE_API_KEY; NULL: before keys).
ALTER TABLE submission ADD COLUMN client_id text;
