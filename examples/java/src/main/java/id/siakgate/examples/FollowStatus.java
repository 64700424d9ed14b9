package id.siakgate.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/** Follows every region's SIAK status on siak.status.v1 and prints each change it accepts. */
public final class FollowStatus {
  static final String TOPIC = "siak.status.v1";
  static final String STATUS_CHANGED = "id.siakgate.siak.status.changed.v1";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** (epoch, seq) orders a region's changes. */
  record Order(long epoch, long seq) implements Comparable<Order> {
    public int compareTo(Order other) {
      int byEpoch = Long.compare(epoch, other.epoch);
      return byEpoch != 0 ? byEpoch : Long.compare(seq, other.seq);
    }
  }

  private final Map<String, Order> held = new HashMap<>();

  /** True when the change is newer than what is held: a redelivered or older one is not, and
   * a new epoch (the monitor started counting again) wins whatever its seq. */
  boolean apply(JsonNode data) {
    Order order = new Order(data.path("epoch").asLong(0), data.get("seq").asLong());
    Order previous = held.get(data.get("region_code").asText());
    if (previous != null && order.compareTo(previous) <= 0) {
      return false;
    }
    held.put(data.get("region_code").asText(), order);
    return true;
  }

  void handle(CloudEvent event) throws IOException {
    if (!STATUS_CHANGED.equals(event.getType())) {
      return;
    }
    JsonNode data = JSON.readTree(event.getData().toBytes());
    if (apply(data)) {
      System.out.printf("%s %s (epoch %d, seq %d)%n", data.get("region_code").asText(),
          data.get("status").asText(), data.path("epoch").asLong(0), data.get("seq").asLong());
      System.out.flush();
    }
  }

  public static void main(String[] args) {
    // The compacted topic holds every region's latest status: read it all on every start.
    FromTheBeginning.follow(args[0], TOPIC, new FollowStatus()::handle);
  }
}
