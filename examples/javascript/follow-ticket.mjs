// Follows one ticket's story on queue-gate.events.v1 and prints each state it reaches.
// Run: node follow-ticket.mjs 127.0.0.1:9092 <ticket id>
import { randomUUID } from "node:crypto";

import { Kafka as CloudEventsKafka } from "cloudevents";
import { Kafka, logLevel } from "kafkajs";

const TOPIC = "queue-gate.events.v1";
const SUBMISSION_CHANGED = "id.siakgate.gate.submission.changed.v1";
const [bootstrapServers, ticketId] = process.argv.slice(2);

const kafka = new Kafka({ brokers: [bootstrapServers], logLevel: logLevel.ERROR });
// A group of its own each start: the story is read from the topic's beginning (kept 30 days).
const consumer = kafka.consumer({ groupId: `ticket-follower-${randomUUID()}` });
const told = new Set();
await consumer.connect();
await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ topic, partition, message }) => {
    let event;
    try {
      event = CloudEventsKafka.toEvent({
        key: message.key?.toString(),
        value: message.value.toString(),
        headers: Object.fromEntries(
          Object.entries(message.headers).map(([name, value]) => [name, value.toString()]),
        ),
      });
    } catch (error) {
      // One bad record must not stop the follower.
      console.error(`skipping ${topic}-${partition}@${message.offset}: ${error.name}`);
      return;
    }
    // The gate publishes at least once: a record sent again has the same event id.
    if (event.type !== SUBMISSION_CHANGED || event.data?.ticket_id !== ticketId) return;
    if (told.has(event.id)) return;
    told.add(event.id);
    const { at, state, parked_reason } = event.data;
    console.log(`${at} ${state}${parked_reason ? ` (${parked_reason})` : ""}`);
  },
});
