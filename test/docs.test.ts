/** The generated JSON Schema and format reference must match the registries. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { REPO_ROOT } from "../harness/runtime/images.ts";
import { JSON_SCHEMA_PATH, jsonSchema, REFERENCE_PATH, referenceMarkdown } from "../harness/schema/reference.ts";

test.each([
  [JSON_SCHEMA_PATH, jsonSchema],
  [REFERENCE_PATH, referenceMarkdown],
])("%s is up to date (regenerate with `npm run schema`)", (path, generate) => {
  expect(readFileSync(join(REPO_ROOT, path), "utf8")).toBe(generate());
});

test("every shipped scenario points editors at the schema", () => {
  const text = readFileSync(join(REPO_ROOT, "scenarios/haproxy-server-state-file-stale-port/scenario.yaml"), "utf8");
  expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../../harness/schema/scenario.schema.json");
});
