package id.siakgate.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Follows one ticket's story on queue-gate.events.v1 and prints each state it reaches. */
public final class FollowTicket {
  static final String TOPIC = "queue-gate.events.v1";
  static final String SUBMISSION_CHANGED = "id.siakgate.gate.submission.changed.v1";
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws IOException {
    String ticketId = args[1];
    Set<String> told = new HashSet<>();
    try (KafkaConsumer<String, CloudEvent> consumer =
        FromTheBeginning.consumer(args[0], TOPIC)) {
      while (true) {
        for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofSeconds(1))) {
          CloudEvent event = record.value();
          if (!SUBMISSION_CHANGED.equals(event.getType())) {
            continue;
          }
          JsonNode data = JSON.readTree(event.getData().toBytes());
          // The gate publishes at least once: a record sent again has the same event id.
          if (!ticketId.equals(data.get("ticket_id").asText()) || !told.add(event.getId())) {
            continue;
          }
          String reason = data.hasNonNull("parked_reason")
              ? " (" + data.get("parked_reason").asText() + ")" : "";
          System.out.printf("%s %s%s%n", data.get("at").asText(), data.get("state").asText(), reason);
          System.out.flush();
        }
      }
    }
  }
}
