/** Turns zod issues into problems that say what was expected and what was found, with positions. */
import type { z } from "zod";
import type { InputProblem } from "../errors.ts";
import type { Path, SourceDoc } from "./source.ts";

export function valueAt(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === "object") return `a mapping (${Object.keys(v).slice(0, 5).join(", ")})`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

export function didYouMean(word: string, options: readonly string[]): string {
  const best = options
    .map((o) => ({ o, d: distance(word, o) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(x.o.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  return best ? ` (did you mean \`${best.o}\`?)` : "";
}

function issueMessage(issue: z.core.$ZodIssue, found: unknown): { message: string; preferKey?: boolean } {
  switch (issue.code) {
    case "invalid_type":
      if (found === undefined) return { message: `missing; expected ${issue.expected}` };
      return { message: `expected ${issue.expected}, found ${describeValue(found)}` };
    case "invalid_value": {
      const opts = issue.values.map((v) => JSON.stringify(v));
      return {
        message: `expected ${opts.length === 1 ? opts[0] : `one of ${opts.join(", ")}`}, found ${describeValue(found)}${typeof found === "string" ? didYouMean(found, issue.values.map(String)) : ""}`,
      };
    }
    case "unrecognized_keys": {
      return { message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}`, preferKey: true };
    }
    case "invalid_union": {
      const disc = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (disc && options) {
        const names = options.map(String);
        return {
          message:
            found === undefined
              ? `missing; expected one of ${names.join(", ")}`
              : `unknown ${disc} ${describeValue(found)}; expected one of ${names.join(", ")}${typeof found === "string" ? didYouMean(found, names) : ""}`,
        };
      }
      const expected = issue.errors
        .map((errs) => errs.find((e) => e.code === "invalid_type")?.expected)
        .filter(Boolean);
      if (expected.length === issue.errors.length) return { message: `expected ${expected.join(" or ")}, found ${describeValue(found)}` };
      return { message: `${issue.message}; found ${describeValue(found)}` };
    }
    case "too_small":
      return { message: `${issue.message.replace(/^Too small: /, "too small: ")}; found ${describeValue(found)}` };
    case "too_big":
      return { message: `${issue.message.replace(/^Too big: /, "too big: ")}; found ${describeValue(found)}` };
    case "invalid_format":
      return { message: `${issue.message}; found ${describeValue(found)}` };
    default:
      return { message: issue.message };
  }
}

/** Maps zod issues at `base` inside `data` to problems with positions in `doc`. */
export function toProblems(doc: SourceDoc, data: unknown, issues: readonly z.core.$ZodIssue[], base: Path = []): InputProblem[] {
  return issues.map((issue) => {
    const path = [...base, ...(issue.path as (string | number)[])];
    const found = valueAt(data, path);
    const { message, preferKey } = issueMessage(issue, found);
    if (issue.code === "unrecognized_keys") {
      return doc.problem([...path, issue.keys[0]!], message, preferKey);
    }
    return doc.problem(path, message, preferKey);
  });
}
