/** Plain-text rendering of results, shared by the console reporter and the test suite. */
import type { CheckResult, VariantResult } from "../runner.ts";

export function formatCheck(c: CheckResult, artifactsDir: string): string {
  const mark = c.ok ? "✓" : "✗";
  const role = c.role === "symptom" ? (c.negated ? "symptom absent" : "symptom") : "expect";
  const lines = [`${mark} ${role}: ${c.label}`];
  if (!c.ok) {
    lines.push(`    expected: ${c.expected}`);
    lines.push(`    got:      ${c.got}`);
    if (c.because) lines.push(`    because:  ${c.because}`);
    lines.push(`    written:  ${c.source}`);
    if (c.evidence.length) lines.push(`    evidence: ${c.evidence.map((e) => `${artifactsDir}/${e}`).join(", ")}`);
  }
  return lines.join("\n");
}

/** Why a variant failed: the error, then each unmet expectation with its evidence. */
export function failureReport(r: VariantResult): string {
  const head = `${r.scenario} [${r.variant}] (${r.outcome}) failed; artifacts: ${r.artifactsDir}`;
  const parts = [head];
  if (r.error) parts.push(`  error: ${r.error.split("\n").join("\n  ")}`);
  for (const c of r.checks.filter((x) => !x.ok)) parts.push(`  ${formatCheck(c, r.artifactsDir).split("\n").join("\n  ")}`);
  if (r.outcome === "reproduces" && r.checks.some((c) => c.role === "symptom" && !c.ok)) {
    parts.push("  The failure this variant exists to reproduce did not happen: the bug no longer reproduces, or the set-up changed.");
  }
  return parts.join("\n");
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
