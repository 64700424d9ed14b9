-- Earlier versions kept, after a refusal's code, a redacted sentence of SIAK's, which could
-- still hold a name SIAK wrote unquoted: only the code (with SIAK's status) stays, in the
-- submission and in its `parked` event still waiting in the outbox (written beside the reason
-- while Kafka was away, it would be relayed after the upgrade). Other events are left as they
-- are; a mended one is the same JSON with the reason cut, its keys in jsonb's order.
UPDATE submission SET parked_reason = split_part(parked_reason, ':', 1)
 WHERE parked_reason LIKE 'siak\_refused\_%:%';

UPDATE outbox
   SET value = convert_to(
           jsonb_set(
               event,
               '{data,parked_reason}',
               to_jsonb(split_part(event #>> '{data,parked_reason}', ':', 1))
           )::text,
           'UTF8')
  FROM (SELECT id, convert_from(value, 'UTF8')::jsonb AS event
          FROM outbox
         WHERE topic = 'queue-gate.events.v1'
           -- Only candidates are parsed (the outbox grows while Kafka is away): the gate has
           -- always written events as compact JSON, so such a reason reads exactly so.
           AND position('"parked_reason":"siak_refused_'::bytea IN value) > 0) AS told
 WHERE outbox.id = told.id
   AND told.event ->> 'type' = 'id.siakgate.gate.submission.changed.v1'
   AND told.event #>> '{data,parked_reason}' LIKE 'siak\_refused\_%:%';
