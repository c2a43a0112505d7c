/** What a run leaves in its artifacts folder: component logs, the timeline, the result. */
import type { TimelineEvent } from "../observe/timeline.ts";
import type { VariantPlan } from "../plan/plan.ts";
import type { VariantResult } from "../runner.ts";
import type { Run } from "../runtime/run.ts";

export function writeArtifacts(run: Run, plan: VariantPlan, result: VariantResult) {
  for (const [name, c] of run.containers) run.artifact(`components/${name}.log`, c.follower.render());
  const events: TimelineEvent[] = run.timeline.sorted();
  run.artifact("timeline.ndjson", events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  run.artifact(
    "result.json",
    JSON.stringify({ ...result, file: plan.file, params: plan.params, timescale: plan.timescale }, null, 2),
  );
}
