-- Each intake client numbers its own Idempotency-Keys: two portals may both send
-- `antrian-0001`. Rows from before client keys (0008) came through GATE_API_KEY, whose
-- client is 'local', so they keep the scope they had. (client_id stays nullable: intake
-- always sets it, and raw rows of the bench and query-plan tests leave it out.)
UPDATE submission SET client_id = 'local' WHERE client_id IS NULL;
CREATE UNIQUE INDEX submission_client_idempotency_key ON submission (client_id, idempotency_key);
ALTER TABLE submission DROP CONSTRAINT submission_idempotency_key_key;
