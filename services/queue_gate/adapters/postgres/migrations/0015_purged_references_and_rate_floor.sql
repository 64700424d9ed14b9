-- What earlier versions left behind that the gate now refuses:
-- - a SIAK reference kept on a submission already purged (the purge now clears it with the rest
--   of the personal data, since SIAK may echo what it was sent);
-- - an operator's ceiling below the least rate the gate paces with (0.001/s, domain/replay_pacing).
UPDATE submission SET siak_reference = NULL
 WHERE purged_at IS NOT NULL AND siak_reference IS NOT NULL;
UPDATE region_control SET max_rate = 0.001 WHERE max_rate < 0.001;
