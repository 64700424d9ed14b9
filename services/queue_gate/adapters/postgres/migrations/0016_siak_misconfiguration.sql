-- Regions whose replay is held because SIAK answered with a status saying the gate's address
-- or credentials are wrong (decision 36): raised by whichever replica got that answer, lowered
-- by whichever next gets an answer on a submission's merits, read by every replica at each
-- scrape of /metrics, so a region's dispatch moving between replicas leaves no stale flag.
CREATE TABLE siak_misconfiguration (
    region_code text        PRIMARY KEY,
    status      integer     NOT NULL,
    since       timestamptz NOT NULL DEFAULT now()
);
