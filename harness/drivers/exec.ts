/** exec: runs a command in a component's container; records stdout, stderr, exit code and duration. */
import { z } from "zod";
import { defineDriver, type StepOutput } from "../registry.ts";
import type { ExecResult } from "../runtime/types.ts";
import { command, componentRef, incidentDuration, toArgv } from "../schema/types.ts";

export default defineDriver({
  kind: "exec",
  description: "Runs a command inside a component's container and records stdout, stderr, the exit code and the duration.",
  schema: z.strictObject({
    in: componentRef("the component whose container runs the command"),
    command,
    env: z.record(z.string(), z.string()).optional().describe("extra environment variables"),
    user: z.string().optional(),
    workdir: z.string().optional(),
    timeout: incidentDuration("give up on the command after this long").prefault("60s"),
  }),
  async run(args, ctx) {
    const container = ctx.component(args.in.name).container;
    const res = await container.exec(toArgv(args.command), {
      timeoutMs: args.timeout.ms,
      ...(args.env ? { env: args.env } : {}),
      ...(args.user ? { user: args.user } : {}),
      ...(args.workdir ? { workdir: args.workdir } : {}),
    });
    return execOutput(res, `timed out after ${args.timeout.toString()}`);
  },
});

/** A command's result as a step's output; `timedOutText` is the step's error when it timed out. */
export function execOutput(res: ExecResult, timedOutText: string): StepOutput {
  return {
    stdout: res.stdout,
    stderr: res.stderr,
    exitCode: res.exitCode,
    startedAt: res.startedAt,
    durationMs: res.durationMs,
    ...(res.timedOut ? { error: timedOutText } : {}),
  };
}
