-- Earlier versions kept, after a refusal's code, a redacted sentence of SIAK's, which could
-- still hold a name SIAK wrote unquoted: only the code (with SIAK's status) stays.
UPDATE submission SET parked_reason = split_part(parked_reason, ':', 1)
 WHERE parked_reason LIKE 'siak\_refused\_%:%';
