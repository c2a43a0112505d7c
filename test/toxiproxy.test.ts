/** Every Toxiproxy toxic through the `toxic` fault against the real server (test/fixtures/toxics). */
import { join } from "node:path";
import { expect, test } from "vitest";
import { planScenarioFile } from "../harness/plan/plan.ts";
import { failureReport } from "../harness/report/format.ts";
import { runVariant } from "../harness/runner.ts";
import { REPO_ROOT } from "../harness/runtime/images.ts";

test("latency, bandwidth, slow_close, timeout, reset_peer, slicer and limit_data each do what they say", async () => {
  const plan = planScenarioFile(join(REPO_ROOT, "test/fixtures/toxics/scenario.yaml"), { displayName: "test/fixtures/toxics/scenario.yaml" });
  const result = await runVariant(plan.variants[0]!, { artifactsRoot: join(REPO_ROOT, "artifacts", "test") });
  expect(result.checks.length).toBeGreaterThanOrEqual(14);
  expect(result.status, failureReport(result)).toBe("passed");
  expect(result.teardown?.errors ?? []).toEqual([]);
});
