-- One row, updated by a synchronous commit to flush the WAL of every transaction committed
-- asynchronously before it (store_status_change's), before their Kafka offsets are committed.
CREATE TABLE wal_flush_mark (
    only_row   boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    flushed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO wal_flush_mark DEFAULT VALUES;
