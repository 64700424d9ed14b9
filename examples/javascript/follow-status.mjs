// Follows every region's SIAK status on siak.status.v1 and prints each change it accepts.
// Run: node follow-status.mjs 127.0.0.1:9092
import { randomUUID } from "node:crypto";

import { Kafka as CloudEventsKafka } from "cloudevents";
import { Kafka, logLevel } from "kafkajs";

const TOPIC = "siak.status.v1";
const STATUS_CHANGED = "id.siakgate.siak.status.changed.v1";

// (epoch, seq) orders a region's changes: a redelivered or older record is not newer, and a
// new epoch (the monitor started counting again) wins whatever its seq.
const held = new Map();
function isNewer({ region_code, epoch = 0, seq }) {
  const previous = held.get(region_code);
  if (previous && (epoch < previous.epoch || (epoch === previous.epoch && seq <= previous.seq))) {
    return false;
  }
  held.set(region_code, { epoch, seq });
  return true;
}

const kafka = new Kafka({ brokers: [process.argv[2]], logLevel: logLevel.ERROR });
// A group of its own each start: the compacted topic holds every region's latest status, so a
// follower reads it from the beginning every time.
// KafkaJS reads committed records only (readUncommitted: false): a fenced monitor's aborted
// records are never seen.
const consumer = kafka.consumer({ groupId: `status-follower-${randomUUID()}` });
await consumer.connect();
await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ topic, partition, message }) => {
    if (message.value === null) return; // a tombstone
    try {
      const event = CloudEventsKafka.toEvent({
        key: message.key?.toString(),
        value: message.value.toString(),
        // The SDK wants header values as strings.
        headers: Object.fromEntries(
          Object.entries(message.headers).map(([name, value]) => [name, value.toString()]),
        ),
      });
      if (event.type !== STATUS_CHANGED || !isNewer(event.data)) return;
      const { region_code, status, epoch = 0, seq } = event.data;
      console.log(`${region_code} ${status} (epoch ${epoch}, seq ${seq})`);
    } catch (error) {
      // One bad record must not stop the follower.
      console.error(`skipping ${topic}-${partition}@${message.offset}: ${error.name}`);
    }
  },
});
