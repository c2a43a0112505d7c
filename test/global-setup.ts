/**
 * Once per test run: the engine must answer (tests fail loudly without one; they never skip),
 * leftovers of dead runs are swept, images are built. At the end, nothing labelled by this test
 * run may remain: a leak fails the suite.
 */
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { engine } from "../harness/runtime/docker.ts";
import { ensureImages, imageNames } from "../harness/runtime/images.ts";
import { leftovers, sweep } from "../harness/runtime/sweep.ts";

const suite = `test-${randomBytes(4).toString("hex")}`;

export async function setup(project: TestProject): Promise<void> {
  process.env["NETREPRO_SUITE"] = suite;
  project.provide("netreproSuite", suite);
  await engine(); // throws an EnvironmentError that says how to get an engine
  await sweep();
  await ensureImages(imageNames(), { log: (l) => process.stderr.write(`[netrepro images] ${l}\n`) });
}

export async function teardown(): Promise<void> {
  const mine = (labels: Record<string, string> | undefined) => labels?.["netrepro.suite"] === suite;
  const left = await leftovers(mine);
  const names = [...left.containers, ...left.networks, ...left.volumes];
  if (names.length) {
    await sweep(mine);
    throw new Error(`the test run leaked ${names.length} labelled resources (now removed): ${names.join(", ")}`);
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    netreproSuite: string;
  }
}
