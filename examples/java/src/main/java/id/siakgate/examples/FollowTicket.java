package id.siakgate.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/** Follows one ticket's story on queue-gate.events.v1 and prints each state it reaches. */
public final class FollowTicket {
  static final String TOPIC = "queue-gate.events.v1";
  static final String SUBMISSION_CHANGED = "id.siakgate.gate.submission.changed.v1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String ticketId;
  private final Set<String> told = new HashSet<>();

  FollowTicket(String ticketId) {
    this.ticketId = ticketId;
  }

  void handle(CloudEvent event) throws IOException {
    if (!SUBMISSION_CHANGED.equals(event.getType())) {
      return;
    }
    JsonNode data = JSON.readTree(event.getData().toBytes());
    // The gate publishes at least once: a record sent again has the same event id.
    if (!ticketId.equals(data.path("ticket_id").asText()) || !told.add(event.getId())) {
      return;
    }
    String reason = data.hasNonNull("parked_reason")
        ? " (" + data.get("parked_reason").asText() + ")" : "";
    System.out.printf("%s %s%s%n", data.get("at").asText(), data.get("state").asText(), reason);
    System.out.flush();
  }

  public static void main(String[] args) {
    // The story is read from the topic's beginning (kept 30 days).
    FromTheBeginning.follow(args[0], TOPIC, new FollowTicket(args[1])::handle);
  }
}
