/**
 * records: JSON objects, one per line, that a step printed (a client's per-response records) or a
 * component logged. Select some by field values and time, then say what they must have.
 */
import { z } from "zod";
import { defineExpectation, type ExpectContext } from "../registry.ts";
import { componentRef, Duration, incidentDuration, isRegexPattern, stepRef, toRegExp } from "../schema/types.ts";

const bound = z.union([z.number(), incidentDuration("a duration, compared in ms", { resolutionMs: 1, mechanism: "record times" })]);
const range = z
  .strictObject({
    min: bound.optional().describe("at least this number (a duration is taken in ms)"),
    max: bound.optional().describe("at most this number (a duration is taken in ms)"),
  })
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: "give min, max or both" });
const matcher = z
  .union([z.string(), z.number(), z.boolean(), z.null(), range])
  .describe(
    "a value: equal (a string may be /regex/; a list field matches when one of its items does), null for absent, " +
      "or {min, max} for numbers",
  );
export type Matcher = z.output<typeof matcher>;

const schema = z
  .strictObject({
    step: stepRef("a step whose stdout holds the records").optional(),
    on: componentRef("a component whose log holds the records").optional(),
    where: z.record(z.string(), matcher).optional().describe("which records count: each of these fields matches"),
    after: stepRef("only records stamped at or after the end of this step").optional(),
    before: stepRef("only records stamped before the start of this step").optional(),
    timeField: z.string().default("at").describe("the field with a record's time, in epoch ms"),
    match: z
      .enum(["some", "all", "none"])
      .default("some")
      .describe("some: at least one counted record has `fields`; all: there are counted records and all have them; none: no counted record has them"),
    fields: z.record(z.string(), matcher).optional().describe("what the counted records must have"),
    unique: z.string().optional().describe("also: no two counted records share this field's value (a request seen twice)"),
  })
  .refine((v) => (v.step === undefined) !== (v.on === undefined), { message: "give exactly one of step, on" });

type Args = z.output<typeof schema>;
export type JsonRecord = Record<string, unknown>;

/** The JSON objects among lines of text. */
export function parseRecords(lines: readonly string[]): JsonRecord[] {
  const out: JsonRecord[] = [];
  for (const line of lines) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) out.push(v as JsonRecord);
    } catch {
      // not a record
    }
  }
  return out;
}

function scalarMatches(value: unknown, m: string | number | boolean): boolean {
  if (typeof m === "string") {
    if (value === undefined || value === null || typeof value === "object") return false;
    return isRegexPattern(m) ? toRegExp(m).test(String(value)) : String(value) === m;
  }
  return value === m;
}

export function valueMatches(value: unknown, m: Matcher): boolean {
  if (m === null) return value === undefined || value === null;
  if (typeof m === "object") {
    if (typeof value !== "number") return false;
    const n = (b: number | Duration | undefined) => (b instanceof Duration ? b.ms : b);
    const lo = n(m.min);
    const hi = n(m.max);
    return (lo === undefined || value >= lo) && (hi === undefined || value <= hi);
  }
  if (Array.isArray(value)) return value.some((item) => scalarMatches(item, m));
  return scalarMatches(value, m);
}

export function recordMatches(r: JsonRecord, fields: Record<string, Matcher> | undefined): boolean {
  return Object.entries(fields ?? {}).every(([k, m]) => valueMatches(r[k], m));
}

function describeMatcher(m: Matcher): string {
  if (m === null) return "absent";
  if (typeof m === "object") {
    const s = (b: number | Duration) => (b instanceof Duration ? b.toString() : String(b));
    return [m.min !== undefined ? `≥ ${s(m.min)}` : "", m.max !== undefined ? `≤ ${s(m.max)}` : ""].filter(Boolean).join(" and ");
  }
  return typeof m === "string" && !isRegexPattern(m) ? m : String(m);
}

function describeFields(fields: Record<string, Matcher> | undefined): string {
  return Object.entries(fields ?? {})
    .map(([k, m]) => (typeof m === "object" && m !== null ? `${k} ${describeMatcher(m)}` : `${k}=${describeMatcher(m)}`))
    .join(", ");
}

export function summarizeRecord(r: JsonRecord, keys: readonly string[], max = 240): string {
  const picked = keys.length ? Object.fromEntries(Object.entries(r).filter(([k]) => keys.includes(k))) : r;
  const text = JSON.stringify(picked);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function source(args: Args, ctx: ExpectContext): { records: JsonRecord[]; where: string; evidence: string[] } {
  if (args.step) {
    const obs = ctx.step(args.step.id);
    return { records: parseRecords(obs.stdout.split("\n")), where: `step \`${args.step.id}\``, evidence: obs.artifact ? [obs.artifact] : [] };
  }
  const name = args.on!.name;
  const lines = ctx.component(name).container.logLines().map((l) => l.line);
  return { records: parseRecords(lines), where: `the log of \`${name}\``, evidence: [ctx.logArtifact(name)] };
}

export default defineExpectation({
  kind: "records",
  description:
    "JSON records (one object per line) printed by a step or logged by a component: select them by field values and " +
    "time (`where`, `after`, `before`), then check that some, all or none have `fields`, and optionally that a field is `unique`.",
  schema,
  evaluate(args, ctx) {
    const { records, where, evidence } = source(args, ctx);
    const after = args.after ? ctx.step(args.after.id) : undefined;
    const before = args.before ? ctx.step(args.before.id) : undefined;
    const from = after ? after.startedAt + after.durationMs : undefined;
    const until = before ? before.startedAt : undefined;
    const counted = records.filter((r) => {
      if (!recordMatches(r, args.where)) return false;
      if (from === undefined && until === undefined) return true;
      const t = r[args.timeField];
      if (typeof t !== "number") return false;
      return (from === undefined || t >= from) && (until === undefined || t < until);
    });
    const selection = [
      describeFields(args.where) ? `with ${describeFields(args.where)}` : "",
      args.after ? `after \`${args.after.id}\`` : "",
      args.before ? `before \`${args.before.id}\`` : "",
    ]
      .filter(Boolean)
      .join(" ");
    const has = describeFields(args.fields);
    const subject = { some: "some record", all: "all records", none: "no record" }[args.match];
    const verb = args.match === "all" ? "have" : "has";
    const expectedParts = [`${subject} of ${where}${selection ? ` ${selection}` : ""}${has ? ` ${verb} ${has}` : ""}`];
    if (args.unique) expectedParts.push(`no two share ${args.unique}`);
    const expected = expectedParts.join("; ");
    if (records.length === 0) {
      return { ok: false, inconclusive: true, expected, got: `${where} holds no JSON records`, evidence };
    }
    const hits = counted.filter((r) => recordMatches(r, args.fields));
    let ok = args.match === "some" ? hits.length > 0 : args.match === "all" ? counted.length > 0 && hits.length === counted.length : hits.length === 0;
    const keys = [...new Set([...Object.keys(args.where ?? {}), ...Object.keys(args.fields ?? {}), args.timeField, ...(args.unique ? [args.unique] : [])])];
    const gotParts: string[] = [];
    if (counted.length === 0) {
      gotParts.push(`no record ${selection || "at all"} (of ${records.length})`);
    } else {
      const misses = counted.filter((r) => !recordMatches(r, args.fields));
      const show = args.match === "all" && misses.length ? misses : args.match === "none" ? hits : hits.length ? hits : counted;
      const label = args.match === "all" && misses.length ? "first not matching" : hits.length ? "first matching" : "first counted";
      gotParts.push(`${hits.length} of ${counted.length} counted records match; ${label}: ${show.slice(0, 2).map((r) => summarizeRecord(r, keys)).join("; ")}`);
    }
    if (args.unique) {
      const seen = new Map<string, number>();
      for (const r of counted) {
        const k = JSON.stringify(r[args.unique] ?? null);
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      const dup = [...seen].filter(([, n]) => n > 1);
      if (dup.length) {
        ok = false;
        gotParts.push(`${args.unique} repeated: ${dup.slice(0, 3).map(([k, n]) => `${k} ×${n}`).join(", ")}`);
      } else if (counted.length) {
        gotParts.push(`${counted.length} distinct ${args.unique} values`);
      }
    }
    return { ok, expected, got: gotParts.join("; "), evidence };
  },
});
