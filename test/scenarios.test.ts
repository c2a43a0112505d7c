/**
 * One test per scenario variant, found by glob. A `reproduces` variant passes only while the
 * failure still happens; a `fixed` variant only while it does not.
 */
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { planScenarioFile } from "../harness/plan/plan.ts";
import { failureReport } from "../harness/report/format.ts";
import { runVariant } from "../harness/runner.ts";
import { REPO_ROOT } from "../harness/runtime/images.ts";
import { leftovers } from "../harness/runtime/sweep.ts";
import { displayPath, findScenarioFiles } from "../harness/scenarios.ts";

const artifactsRoot = join(REPO_ROOT, "artifacts", "test");
const runIds: string[] = [];

for (const file of findScenarioFiles([join(REPO_ROOT, "scenarios")])) {
  const plan = planScenarioFile(file, { displayName: displayPath(file, REPO_ROOT) });
  describe(plan.name, () => {
    for (const v of plan.variants) {
      test.concurrent(`${v.variant.name} (${v.variant.outcome})`, async () => {
        const result = await runVariant(v, { artifactsRoot });
        runIds.push(result.runId);
        expect(result.checks.length, "a variant must check something").toBeGreaterThan(0);
        expect(result.status, failureReport(result)).toBe("passed");
      });
    }
  });
}

afterAll(async () => {
  const left = await leftovers((labels) => runIds.includes(labels?.["netrepro.run"] ?? ""));
  expect([...left.containers, ...left.networks, ...left.volumes], "resources left after teardown").toEqual([]);
});
