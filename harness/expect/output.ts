/** output: what a step printed. */
import { z } from "zod";
import { defineExpectation } from "../registry.ts";
import { stepRef, textPattern } from "../schema/types.ts";
import { checkLines, describeCheck, excerpt } from "./text.ts";

export default defineExpectation({
  kind: "output",
  description: "A step's stdout or stderr contains, or lacks, a text or /regex/.",
  schema: z.strictObject({
    step: stepRef("the step whose output is read"),
    stream: z.enum(["stdout", "stderr", "both"]).default("stdout"),
    contains: textPattern.optional(),
    lacks: textPattern.optional(),
  }).refine((v) => (v.contains === undefined) !== (v.lacks === undefined), { message: "give exactly one of contains, lacks" }),
  evaluate(args, ctx) {
    const obs = ctx.step(args.step.id);
    const text = args.stream === "both" ? `${obs.stdout}${obs.stderr}` : obs[args.stream];
    const r = checkLines(text.split("\n"), args);
    const expected = `${args.stream} of step \`${args.step.id}\` ${describeCheck(args)}`;
    const got = r.line !== undefined ? `line ${r.line}: ${excerpt(r.text ?? "")}` : `${args.stream}: ${excerpt(text)}`;
    return { ok: r.ok, expected, got, evidence: obs.artifact ? [obs.artifact] : [] };
  },
});
