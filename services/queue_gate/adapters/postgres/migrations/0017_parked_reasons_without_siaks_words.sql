-- A parked reason keeps only SIAK's refusal code with its status, none of SIAK's words, which
-- can hold a name or a NIK. Earlier versions kept more: a redacted sentence after the code
-- ('siak_refused_422: …', which could still hold a name SIAK wrote unquoted) and, before
-- refusal codes, SIAK's reason verbatim after its status ('http_422: …', or 'http_422'). Both
-- become the code ('siak_refused_422'), in the submission and in its `parked` event still
-- waiting in the outbox (written beside the reason while Kafka was away, it would be relayed
-- after the upgrade). Other events are left as they are; a mended one is the same JSON with
-- the reason cut, its keys in jsonb's order.
CREATE OR REPLACE FUNCTION pg_temp.refusal_code(reason text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN reason ~ '^(siak_refused_[0-9]{3}:|http_[0-9]{3}(:|$))'
        THEN 'siak_refused_' || substring(reason FROM '^(?:siak_refused_|http_)([0-9]{3})')
        ELSE reason
    END
$$;

UPDATE submission SET parked_reason = pg_temp.refusal_code(parked_reason)
 WHERE (parked_reason LIKE 'siak\_refused\_%:%' OR parked_reason LIKE 'http\_%')
   AND parked_reason IS DISTINCT FROM pg_temp.refusal_code(parked_reason);

UPDATE outbox
   SET value = convert_to(
           jsonb_set(
               event,
               '{data,parked_reason}',
               to_jsonb(pg_temp.refusal_code(event #>> '{data,parked_reason}'))
           )::text,
           'UTF8')
  FROM (SELECT id, convert_from(value, 'UTF8')::jsonb AS event
          FROM outbox
         WHERE topic = 'queue-gate.events.v1'
           -- Only candidates are parsed (the outbox grows while Kafka is away): the gate has
           -- always written events as compact JSON, so such a reason reads exactly so.
           AND (position('"parked_reason":"siak_refused_'::bytea IN value) > 0
                OR position('"parked_reason":"http_'::bytea IN value) > 0)) AS told
 WHERE outbox.id = told.id
   AND told.event ->> 'type' = 'id.siakgate.gate.submission.changed.v1'
   AND told.event #>> '{data,parked_reason}'
       IS DISTINCT FROM pg_temp.refusal_code(told.event #>> '{data,parked_reason}');

DROP FUNCTION pg_temp.refusal_code(text);
