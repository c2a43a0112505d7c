/** duration: how long a step took, against incident-time bounds (scaled like every duration). */
import { z } from "zod";
import { formatMs } from "../duration.ts";
import { defineExpectation } from "../registry.ts";
import { incidentDuration, stepRef } from "../schema/types.ts";

export default defineExpectation({
  kind: "duration",
  description: "A step took at least `min` and at most `max` (incident time, scaled by the timescale).",
  schema: z
    .strictObject({
      step: stepRef("the step whose duration is checked"),
      min: incidentDuration("the shortest acceptable duration", { resolutionMs: 10, mechanism: "step timing" }).optional(),
      max: incidentDuration("the longest acceptable duration", { resolutionMs: 10, mechanism: "step timing" }).optional(),
    })
    .refine((v) => v.min !== undefined || v.max !== undefined, { message: "give min, max or both" }),
  evaluate(args, ctx) {
    const obs = ctx.step(args.step.id);
    const lo = args.min ? `≥ ${args.min.toString()}` : "";
    const hi = args.max ? `≤ ${args.max.toString()}` : "";
    const expected = `step \`${args.step.id}\` took ${[lo, hi].filter(Boolean).join(" and ")}`;
    const ok = (!args.min || obs.durationMs >= args.min.ms) && (!args.max || obs.durationMs <= args.max.ms);
    return { ok, expected, got: `took ${formatMs(obs.durationMs)}${obs.error ? ` (${obs.error})` : ""}`, evidence: obs.artifact ? [obs.artifact] : [] };
  },
});
