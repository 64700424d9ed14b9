-- The latest SIAK status the gate applied for each region.
CREATE TABLE region_status (
    region_code        text        PRIMARY KEY CHECK (region_code ~ '^[0-9]{2}\.[0-9]{2}$'),
    status             text        NOT NULL
        CHECK (status IN ('UP', 'DEGRADED', 'DOWN', 'MAINTENANCE', 'UNKNOWN')),
    seq                bigint      NOT NULL CHECK (seq >= 1),
    since              timestamptz NOT NULL,
    reason             text,
    expected_return_at timestamptz,
    applied_at         timestamptz NOT NULL DEFAULT now()
);
