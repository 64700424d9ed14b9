package id.siakgate.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Subscribers in Java: the io.cloudevents Kafka binding reads every record the services encode,
 * and the networknt validator compiles every committed schema and validates every event and its
 * data. Run by tests/support/sdk_suites.py, which writes the records (one JSON line each) and
 * names the directories.
 */
class CloudEventsSdkTest {
  private static final String DRAFT_07 = "http://json-schema.org/draft-07/schema#";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final SchemaRegistry REGISTRY =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);

  private static Path env(String name) {
    String value = System.getenv(name);
    assertNotNull(value, name + " must be set");
    return Path.of(value);
  }

  /** The committed schemas by their $id, which is the dataschema of their events. */
  private static Map<String, JsonNode> committedSchemas() throws IOException {
    Map<String, JsonNode> schemas = new TreeMap<>();
    try (Stream<Path> files = Files.list(env("SCHEMA_DIR"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
        JsonNode schema = JSON.readTree(Files.readString(file));
        schemas.put(schema.get("$id").asString(), schema);
      }
    }
    return schemas;
  }

  private static List<JsonNode> records() throws IOException {
    List<JsonNode> records = new ArrayList<>();
    for (String line : Files.readAllLines(env("SDK_RECORDS"))) {
      if (!line.isBlank()) {
        records.add(JSON.readTree(line));
      }
    }
    return records;
  }

  /** The schema of an event's data: under allOf, since draft-07 ignores keywords beside $ref. */
  private static Schema dataSchema(JsonNode envelope) {
    ObjectNode schema = JSON.createObjectNode();
    schema.put("$schema", envelope.get("$schema").asString());
    schema.set("definitions", envelope.get("definitions"));
    schema.putArray("allOf").add(envelope.get("properties").get("data"));
    return REGISTRY.getSchema(schema.toString(), InputFormat.JSON);
  }

  private static List<Error> errors(Schema schema, JsonNode instance) {
    return schema.validate(
        instance, context -> context.executionConfig(config -> config.formatAssertionsEnabled(true)));
  }

  private static void collectPatterns(JsonNode node, List<String> found) {
    if (node.isObject()) {
      JsonNode pattern = node.get("pattern");
      if (pattern != null && pattern.isString()) {
        found.add(pattern.asString());
      }
    }
    for (JsonNode child : node) {
      collectPatterns(child, found);
    }
  }

  @Test
  void everyCommittedSchemaCompilesAndItsPatternsAreJavaRegexes() throws IOException {
    Map<String, JsonNode> schemas = committedSchemas();
    assertFalse(schemas.isEmpty());
    for (JsonNode schema : schemas.values()) {
      assertEquals(DRAFT_07, schema.get("$schema").asString());
      REGISTRY.getSchema(schema.toString(), InputFormat.JSON).initializeValidators();
      dataSchema(schema).initializeValidators();
      List<String> patterns = new ArrayList<>();
      collectPatterns(schema, patterns);
      assertFalse(patterns.isEmpty());
      patterns.forEach(Pattern::compile);
    }
  }

  @TestFactory
  Stream<DynamicTest> theSdkReadsEveryRecordAndItsDataFollowsTheSchema() throws IOException {
    Map<String, JsonNode> schemas = committedSchemas();
    return records().stream()
        .map(record -> dynamicTest(record.get("type").asString(), () -> read(record, schemas)));
  }

  private static byte[] value(JsonNode record) {
    return Base64.getDecoder().decode(record.get("value_base64").asString());
  }

  private static void read(JsonNode record, Map<String, JsonNode> schemas) {
    byte[] value = value(record);
    RecordHeaders headers = new RecordHeaders();
    record.get("headers").properties().forEach(header ->
        headers.add(header.getKey(), header.getValue().asString().getBytes(StandardCharsets.UTF_8)));
    CloudEvent event;
    try (CloudEventDeserializer deserializer = new CloudEventDeserializer()) {
      deserializer.configure(Map.of(), false);
      event = deserializer.deserialize(record.get("topic").asString(), headers, value);
    }

    JsonNode body = JSON.readTree(value);
    assertEquals("1.0", event.getSpecVersion().toString());
    assertEquals(body.get("id").asString(), event.getId());
    assertEquals(record.get("type").asString(), event.getType());
    assertEquals(body.get("source").asString(), event.getSource().toString());
    assertEquals(record.get("key").asString(), event.getSubject());
    assertEquals("application/json", event.getDataContentType());
    assertNotNull(event.getTime());
    assertNotNull(event.getDataSchema());
    JsonNode schema = schemas.get(event.getDataSchema().toString());
    assertNotNull(schema, "a committed schema with $id " + event.getDataSchema());

    assertNotNull(event.getData());
    JsonNode data = JSON.readTree(event.getData().toBytes());
    assertEquals(body.get("data"), data);
    List<Error> dataErrors = errors(dataSchema(schema), data);
    assertTrue(dataErrors.isEmpty(), dataErrors.toString());
    List<Error> eventErrors = errors(REGISTRY.getSchema(schema.toString(), InputFormat.JSON), body);
    assertTrue(eventErrors.isEmpty(), eventErrors.toString());
  }

  @Test
  void dataThatBreaksItsSchemaIsCaught() throws IOException {
    for (JsonNode record : records()) {
      JsonNode body = JSON.readTree(value(record));
      if (body.get("data").has("region_code")) {
        ObjectNode data = (ObjectNode) body.get("data").deepCopy();
        data.put("region_code", "7371");
        JsonNode schema = committedSchemas().get(body.get("dataschema").asString());
        assertFalse(errors(dataSchema(schema), data).isEmpty());
        return;
      }
    }
    throw new AssertionError("no record with a region code");
  }
}
