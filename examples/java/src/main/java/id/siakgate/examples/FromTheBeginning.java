package id.siakgate.examples;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads every partition of a topic from its beginning and hands each CloudEvent on. */
final class FromTheBeginning {
  interface Handler {
    void handle(CloudEvent event) throws IOException;
  }

  private FromTheBeginning() {}

  /** No consumer group, nothing committed: a follower rebuilds what it holds on every start.
   * A record that cannot be read is skipped (and said on stderr): one bad record must not stop
   * the follower. */
  static void follow(String bootstrapServers, String topic, Handler handler) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    // The SDK's deserializer reads structured and binary mode alike.
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class);
    // Records of an aborted transaction (a fenced monitor's) are never read.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition()))
          .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (true) {
        try {
          for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofSeconds(1))) {
            try {
              if (record.value() != null) {
                handler.handle(record.value());
              }
            } catch (IOException | RuntimeException error) {
              skipped(record.topic() + "-" + record.partition(), record.offset(), error);
            }
          }
        } catch (RecordDeserializationException error) {
          skipped(error.topicPartition().toString(), error.offset(), error);
          consumer.seek(error.topicPartition(), error.offset() + 1);
        }
      }
    }
  }

  private static void skipped(String partition, long offset, Exception error) {
    System.err.printf("skipping %s@%d: %s%n", partition, offset, error.getClass().getSimpleName());
  }
}
