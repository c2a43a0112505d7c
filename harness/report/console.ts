/** Progress on the console: one line per phase, step and expectation; a summary at the end. */
import type { RunEvents, VariantResult } from "../runner.ts";
import { failureReport, formatCheck, seconds } from "./format.ts";

export function consoleReporter(write: (s: string) => void = (s) => process.stderr.write(s), verbose = false): RunEvents {
  return {
    variantStart(plan, runId) {
      write(`\n▶ ${plan.scenario.name} [${plan.variant.name}] expects ${plan.variant.outcome === "reproduces" ? "the failure" : "no failure"}  (${runId})\n`);
    },
    phase(_plan, text) {
      write(`  · ${text}\n`);
    },
    stepEnd(_plan, step, obs, error) {
      if (error) {
        write(`  ✗ ${step.index + 1}. ${step.label}: ${error.split("\n")[0]}\n`);
        return;
      }
      const code = obs?.exitCode !== undefined ? `, exit ${obs.exitCode}` : "";
      const took = obs ? ` (${obs.durationMs} ms${code})` : step.type === "sleep" ? ` (${step.duration.toString()})` : "";
      write(`  · ${step.index + 1}. ${step.label}${took}\n`);
      if (verbose && obs?.stdout) write(`      ${obs.stdout.trim().split("\n").slice(0, 10).join("\n      ")}\n`);
    },
    check(_plan, c) {
      if (c.ok) write(`  ${formatCheck(c, "")}\n`);
    },
    variantEnd(_plan, r: VariantResult) {
      if (r.status === "passed") {
        write(`  ✓ passed in ${seconds(r.timing.totalMs)} (set-up ${seconds(r.timing.setupMs)}, steps ${seconds(r.timing.stepsMs)}, teardown ${seconds(r.timing.teardownMs)})\n`);
      } else {
        write(`  ${failureReport(r).split("\n").join("\n  ")}\n`);
      }
    },
  };
}
