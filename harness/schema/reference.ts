/**
 * Generated documentation: the JSON Schema for editors and the Markdown format reference, both
 * from the registries. Tests fail when the committed copies drift.
 */
import { z } from "zod";
import { components } from "../components/index.ts";
import { drivers } from "../drivers/index.ts";
import { expectations } from "../expect/index.ts";
import { faults } from "../faults/index.ts";
import { CertificateSchema, componentCommon, ScenarioSchema } from "./scenario.ts";

export const JSON_SCHEMA_PATH = "harness/schema/scenario.schema.json";
export const REFERENCE_PATH = "docs/reference.md";

export function jsonSchema(): string {
  const schema = z.toJSONSchema(ScenarioSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
  return `${JSON.stringify({ ...schema, title: "netrepro scenario", $id: "https://netrepro.dev/scenario.schema.json" }, null, 2)}\n`;
}

interface FieldDoc {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

function typeOf(s: Record<string, unknown>): string {
  if (s["const"] !== undefined) return JSON.stringify(s["const"]);
  if (Array.isArray(s["enum"])) return (s["enum"] as unknown[]).map((v) => JSON.stringify(v)).join(" \\| ");
  if (Array.isArray(s["anyOf"])) return (s["anyOf"] as Record<string, unknown>[]).map(typeOf).join(" \\| ");
  if (s["type"] === "array") return `list of ${typeOf((s["items"] ?? {}) as Record<string, unknown>)}`;
  if (s["type"] === "object") return s["additionalProperties"] && typeof s["additionalProperties"] === "object" ? "mapping" : "object";
  if (s["type"] === "string" && typeof s["pattern"] === "string" && (s["pattern"] as string).includes("ms|s|m|h")) return "duration";
  return String(s["type"] ?? "any");
}

function fields(schema: z.ZodObject, skip: readonly string[] = []): FieldDoc[] {
  const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(js.properties ?? {})
    .filter(([name]) => !skip.includes(name))
    .map(([name, p]) => ({
      name,
      type: typeOf(p),
      required: (js.required ?? []).includes(name) && p["default"] === undefined,
      description: `${String(p["description"] ?? "")}${p["default"] !== undefined ? ` (default ${JSON.stringify(p["default"])})` : ""}`,
    }));
}

function table(rows: FieldDoc[]): string {
  if (rows.length === 0) return "_no fields_\n";
  return [
    "| field | type | required | meaning |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| \`${r.name}\` | ${r.type} | ${r.required ? "yes" : ""} | ${r.description.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`),
  ].join("\n") + "\n";
}

export function referenceMarkdown(): string {
  const out: string[] = [
    "# Scenario format reference",
    "",
    "Generated from the registries by `npm run schema`; do not edit by hand. Durations are written as `600s`, `10m`, `250ms`;",
    "fields marked _incident time_ are divided by the scenario's `timescale`, fields marked _real time_ are not.",
    "",
    "## Top level",
    "",
    table(fields(ScenarioSchema, ["$schema"])),
    "## Certificates",
    "",
    "Each entry of `certificates` is made fresh for every run (openssl 3.0 in the tools image); the PEMs and keys go to",
    "the run's artifacts under `certs/`, never into the repository. A component's `certificates` field installs them,",
    "and `${certs.<name>.fingerprint}` (also `serial`, `subject`, `issuer`, `notAfter`) is filled in at run time.",
    "",
    table(fields(CertificateSchema)),
    "## Components",
    "",
    "Every component also takes these fields:",
    "",
    table(fields(z.strictObject(componentCommon))),
  ];
  for (const c of components) {
    out.push(`### \`${c.kind}\``, "", c.description, "", table(fields(c.schema)));
    const actions = Object.entries(c.actions);
    if (actions.length) {
      out.push("Actions (`- do: <action>` with `on: <component>`):", "");
      for (const [name, a] of actions) {
        const f = fields(a.schema);
        out.push(`- \`${name}\`: ${a.description}${f.length ? ` Fields: ${f.map((x) => `\`${x.name}\`${x.required ? "" : " (optional)"}: ${x.description}`).join("; ")}.` : ""}`);
      }
      out.push("");
    }
    const obs = Object.entries(c.observables);
    if (obs.length) {
      out.push("Observables: " + obs.map(([n, o]) => `\`${n}\` (${o.description})`).join("; ") + ".", "");
    }
  }
  out.push("## Drivers (`- run: <driver>`)", "", "Every step also takes `id` and `background`.", "");
  for (const d of drivers) out.push(`### \`${d.kind}\``, "", d.description, "", table(fields(d.schema)));
  out.push("## Faults (`- fault: <fault>`)", "");
  if (faults.length === 0) out.push("_none registered yet_", "");
  for (const f of faults) out.push(`### \`${f.kind}\``, "", f.description, "", table(fields(f.schema)));
  out.push("## Expectations (`- kind: <expectation>`)", "", "Every expectation also takes `name` and `because`.", "");
  for (const e of expectations) out.push(`### \`${e.kind}\``, "", e.description, "", table(fields(e.schema)));
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
