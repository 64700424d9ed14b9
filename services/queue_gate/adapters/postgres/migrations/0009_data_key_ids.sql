-- The id of the data key that sealed each row: the gate opens a row with the key it names
-- and seals new ones with the current key, so the key can be rotated without emptying the
-- queue (`python -m services.queue_gate.reseal` moves old rows to the current key).
-- Rows of before, and rows a replica still on the previous release inserts during a rolling
-- upgrade, were sealed with GATE_DATA_KEY, whose id is 'default' (no table rewrite: a
-- constant default is kept in the catalogue).
ALTER TABLE submission ADD COLUMN data_key_id text NOT NULL DEFAULT 'default';
