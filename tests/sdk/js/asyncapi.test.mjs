// The official AsyncAPI parser validates the committed document, schemas included: it checks
// message payloads only in the formats it knows (draft-07 here), so a broken schema is refused.
// Run by tests/support/sdk_suites.py, which names the document.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";

import { Parser, fromFile } from "@asyncapi/parser";

const documentPath = process.env.ASYNCAPI_DOCUMENT;
assert.ok(documentPath, "ASYNCAPI_DOCUMENT must be set");
const parser = new Parser();
const ERROR = 0; // DiagnosticSeverity.Error

async function errors(path) {
  const { document, diagnostics } = await fromFile(parser, path).parse();
  return { document, errors: diagnostics.filter((d) => d.severity === ERROR) };
}

test("the parser accepts the document with every message payload resolved", async () => {
  const { document, errors: found } = await errors(documentPath);
  assert.deepEqual(found.map((d) => d.message), []);
  assert.ok(document);
  const messages = document.allMessages().all();
  assert.ok(messages.length > 0);
  for (const message of messages) {
    assert.equal(message.payload().schemaFormat(), "application/schema+json;version=draft-07");
    assert.equal(message.payload().type(), "object", message.name());
  }
});

test("a broken payload schema is an error, so the schemas are checked", async () => {
  const copy = mkdtempSync(join(tmpdir(), "asyncapi-"));
  cpSync(dirname(documentPath), copy, { recursive: true });
  const schemaPath = join(copy, "schemas", "siak.status.v1.json");
  const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
  schema.properties.id.minLength = "one";
  writeFileSync(schemaPath, JSON.stringify(schema));
  const { document, errors: found } = await errors(join(copy, "asyncapi.yaml"));
  assert.equal(document, undefined);
  assert.ok(found.some((d) => d.message.includes("minLength")), JSON.stringify(found));
});
