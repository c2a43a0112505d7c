/** JUnit XML: one testsuite per scenario, one testcase per variant. */
import type { VariantResult } from "../runner.ts";
import { failureReport } from "./format.ts";

const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

export function junitXml(results: readonly VariantResult[]): string {
  const byScenario = new Map<string, VariantResult[]>();
  for (const r of results) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const suites = [...byScenario].map(([name, rs]) => {
    const failures = rs.filter((r) => r.status === "failed").length;
    const time = rs.reduce((a, r) => a + r.timing.totalMs, 0) / 1000;
    const cases = rs.map((r) => {
      const body = r.status === "failed" ? `<failure message="${esc((r.error ?? "expectations not met").split("\n")[0]!)}">${esc(failureReport(r))}</failure>` : "";
      return `    <testcase classname="${esc(name)}" name="${esc(`${r.variant} (${r.outcome})`)}" time="${(r.timing.totalMs / 1000).toFixed(3)}">${body}<system-out>${esc(`artifacts: ${r.artifactsDir}`)}</system-out></testcase>`;
    });
    return `  <testsuite name="${esc(name)}" tests="${rs.length}" failures="${failures}" time="${time.toFixed(3)}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join("\n")}\n</testsuites>\n`;
}
