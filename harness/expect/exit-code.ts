/** exit-code: the exit code of a step's command. */
import { z } from "zod";
import { defineExpectation } from "../registry.ts";
import { stepRef } from "../schema/types.ts";

export default defineExpectation({
  kind: "exit-code",
  description: "The exit code of a step (an exec command, a driver's client) equals, or is one of, the given values.",
  schema: z.strictObject({
    step: stepRef("the step whose exit code is checked"),
    equals: z.number().int().optional(),
    in: z.array(z.number().int()).min(1).optional(),
    not: z.number().int().optional().describe("any exit code but this one"),
  }).refine((v) => [v.equals, v.in, v.not].filter((x) => x !== undefined).length === 1, {
    message: "give exactly one of equals, in, not",
  }),
  evaluate(args, ctx) {
    const obs = ctx.step(args.step.id);
    const expected =
      args.equals !== undefined ? `exit ${args.equals}` : args.in ? `exit in [${args.in.join(", ")}]` : `exit other than ${args.not}`;
    const evidence = obs.artifact ? [obs.artifact] : [];
    if (obs.exitCode === undefined) {
      return { ok: false, inconclusive: true, expected, got: `no exit code (${obs.error ?? "the step did not finish"})`, evidence };
    }
    const code = obs.exitCode;
    const ok = args.equals !== undefined ? code === args.equals : args.in ? args.in.includes(code) : code !== args.not;
    const stderr = obs.stderr.trim() ? `; stderr: ${JSON.stringify(obs.stderr.trim().slice(0, 200))}` : "";
    return { ok, expected, got: `exit ${code}${stderr}`, evidence };
  },
});
