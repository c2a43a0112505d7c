/** log: what a component's container logged. */
import { z } from "zod";
import { defineExpectation } from "../registry.ts";
import { componentRef, textPattern } from "../schema/types.ts";
import { checkLines, describeCheck, excerpt } from "./text.ts";

export default defineExpectation({
  kind: "log",
  description: "A component's log (stdout and stderr of its container, whole run) contains, or lacks, a text or /regex/.",
  schema: z.strictObject({
    on: componentRef("the component whose log is read"),
    stream: z.enum(["stdout", "stderr", "both"]).default("both"),
    contains: textPattern.optional(),
    lacks: textPattern.optional(),
  }).refine((v) => (v.contains === undefined) !== (v.lacks === undefined), { message: "give exactly one of contains, lacks" }),
  evaluate(args, ctx) {
    // Evidence lines count in the log artifact, which holds both streams in order.
    const picked = ctx
      .component(args.on.name)
      .container.logLines()
      .map((l, i) => ({ ...l, artifactLine: i + 1 }))
      .filter((l) => args.stream === "both" || l.stream === args.stream);
    const lines = picked.map((l) => l.line);
    const r = checkLines(lines, args);
    const artifact = ctx.logArtifact(args.on.name);
    const at = r.line !== undefined ? picked[r.line - 1]?.artifactLine : undefined;
    const expected = `log of \`${args.on.name}\` ${describeCheck(args)}`;
    const got =
      r.line !== undefined
        ? `line ${r.line}: ${excerpt(r.text ?? "")}`
        : `${lines.length} lines, last: ${excerpt(lines.at(-1) ?? "")}`;
    return { ok: r.ok, expected, got, evidence: [at !== undefined ? `${artifact}:${at}` : artifact] };
  },
});
