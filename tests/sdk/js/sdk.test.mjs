// Subscribers in JavaScript: the CloudEvents SDK reads every record the services encode, and
// ajv compiles every committed schema and validates every event and its `data`.
// Run by tests/support/sdk_suites.py, which writes the records (one JSON line each) and names
// the directories.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import Ajv from "ajv";
import addFormats from "ajv-formats";
import { Kafka } from "cloudevents";

const schemaDir = process.env.SCHEMA_DIR;
const recordsPath = process.env.SDK_RECORDS;
assert.ok(schemaDir && recordsPath, "SCHEMA_DIR and SDK_RECORDS must be set");

const schemas = readdirSync(schemaDir)
  .filter((name) => name.endsWith(".json"))
  .map((name) => ({ name, schema: JSON.parse(readFileSync(join(schemaDir, name), "utf8")) }));
const records = readFileSync(recordsPath, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line));

// strict: an unknown keyword or a malformed one is an error, not a warning.
const ajv = new Ajv({ strict: true, allErrors: true });
addFormats(ajv);

function decoded(record) {
  return Buffer.from(record.value_base64, "base64").toString("utf8");
}

function dataSchema(envelope) {
  // Under allOf, not beside the $ref: draft-07 ignores keywords next to a $ref.
  return {
    $schema: envelope.$schema,
    definitions: envelope.definitions,
    allOf: [envelope.properties.data],
  };
}

const validators = new Map();
test("ajv compiles every committed schema, and the schema of its data", () => {
  assert.ok(schemas.length > 0);
  for (const { name, schema } of schemas) {
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#", name);
    validators.set(schema.$id, {
      event: ajv.compile(schema),
      data: ajv.compile(dataSchema(schema)),
    });
  }
});

for (const record of records) {
  test(`the SDK reads a ${record.type} record and its data follows the schema`, () => {
    const value = decoded(record);
    const message = { key: record.key, value, headers: record.headers };
    assert.ok(Kafka.isEvent(message), "recognised as a CloudEvent");
    const event = Kafka.toEvent(message);
    assert.ok(!Array.isArray(event));
    assert.equal(event.validate(), true);

    const body = JSON.parse(value);
    assert.equal(event.specversion, "1.0");
    assert.equal(event.id, body.id);
    assert.equal(event.type, record.type);
    assert.equal(event.source, body.source);
    assert.equal(event.subject, record.key);
    assert.equal(event.datacontenttype, "application/json");
    assert.equal(Date.parse(event.time), Date.parse(body.time));
    assert.deepEqual(event.data, body.data);

    const validator = validators.get(event.dataschema);
    assert.ok(validator, `a committed schema with $id ${event.dataschema}`);
    assert.ok(validator.data(event.data), ajv.errorsText(validator.data.errors));
    assert.ok(validator.event(body), ajv.errorsText(validator.event.errors));
  });
}

test("data that breaks its schema is caught", () => {
  const body = records
    .map((record) => JSON.parse(decoded(record)))
    .find((event) => "region_code" in event.data);
  assert.ok(body, "a record with a region code");
  const validator = validators.get(body.dataschema);
  assert.equal(validator.data({ ...body.data, region_code: "7371" }), false);
});
