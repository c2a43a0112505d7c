/** The whole project type-checks under strict settings. */
import { join } from "node:path";
import { execa } from "execa";
import { expect, test } from "vitest";
import { REPO_ROOT } from "../harness/runtime/images.ts";

test("tsc --noEmit passes", async () => {
  const r = await execa(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", REPO_ROOT], { reject: false });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
}, 120_000);
