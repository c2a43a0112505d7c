/**
 * npm run bench [-- --rounds N] [--cold-base] [--skip-cold]
 *
 * Measures, in one run:
 *   - set-up, cold (harness images removed; with --cold-base the base image too) and warm;
 *   - each scenario variant, warm, in-process: wall time, the scenario's own waits, and the
 *     overhead beyond them (median of N rounds);
 *   - the HAProxy incident written by hand with vitest + testcontainers (bench/handwritten/),
 *     and the ratio of harness time to hand-written time per variant;
 *   - the image build of each Go program of the scenarios (go-program components), cold (no
 *     layer cache) and cached (the second call: the image is there);
 *   - for compressed scenarios (timescale > 1): the timeline's own length, the physical floor
 *     of the scaled gaps, and the compression: incident time represented / wall time;
 *   - the whole suite through the CLI.
 * Writes bench/results/latest.json and prints a table.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { planScenarioFile, type VariantPlan } from "../harness/plan/plan.ts";
import { runVariant } from "../harness/runner.ts";
import { engine } from "../harness/runtime/docker.ts";
import { goProgramOf, type GoProgramSpec } from "../harness/components/go-program.ts";
import { goProgramImage } from "../harness/runtime/go-build.ts";
import { REPO_ROOT } from "../harness/runtime/images.ts";
import { displayPath, findScenarioFiles } from "../harness/scenarios.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    "cold-base": { type: "boolean", default: false },
    "skip-cold": { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const RESULTS = join(REPO_ROOT, "bench", "results");
const ARTIFACTS = join(REPO_ROOT, "artifacts", "bench");
mkdirSync(RESULTS, { recursive: true });
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2 : NaN;
};
const sec = (ms: number) => (ms / 1000).toFixed(2);

async function timed(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const r = await execa(cmd, args, { cwd: REPO_ROOT, env, reject: false, stdio: ["ignore", "ignore", "pipe"] });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.exitCode}): ${r.stderr.slice(-2000)}`);
  return performance.now() - t0;
}

const report: Record<string, unknown> = { date: new Date().toISOString(), rounds };

// ---- set-up
if (!values["skip-cold"]) {
  if (values["cold-base"]) {
    const { docker } = await engine();
    await docker.getImage("debian:bookworm-slim").remove({ force: true }).catch(() => {});
  }
  log(`cold image build (no layer cache${values["cold-base"] ? ", base image removed" : ""})…`);
  report["imagesColdMs"] = await timed(process.execPath, ["harness/cli.ts", "images", "build", "--force", "--no-cache", "--quiet"]);
  log(`cold image build: ${sec(report["imagesColdMs"] as number)} s`);
}
const warm: number[] = [];
for (let i = 0; i < 3; i++) warm.push(await timed("bash", ["scripts/setup.sh", "--quiet"]));
report["setupWarmMs"] = median(warm);
log(`warm set-up: ${sec(median(warm))} s`);

const variants: VariantPlan[] = findScenarioFiles([join(REPO_ROOT, "scenarios")]).flatMap(
  (f) => planScenarioFile(f, { displayName: displayPath(f, REPO_ROOT) }).variants,
);

// ---- Go programs: each image built with no layer cache, then asked for again (cached)
const programs = new Map<string, ReturnType<typeof goProgramOf>>();
for (const v of variants) {
  for (const c of v.components) {
    if (c.def.kind !== "go-program") continue;
    const p = goProgramOf(c.spec as unknown as GoProgramSpec, v.dir);
    programs.set(`${p.name}\0${p.dir}`, p);
  }
}
const goImages: { image: string; go: string; coldMs: number; cachedMs: number }[] = [];
for (const p of programs.values()) {
  let t0 = performance.now();
  await goProgramImage(p, { force: true, noCache: true });
  const coldMs = performance.now() - t0;
  t0 = performance.now();
  await goProgramImage(p);
  const cachedMs = performance.now() - t0;
  goImages.push({ image: p.name, go: p.go, coldMs: Math.round(coldMs), cachedMs: Math.round(cachedMs) });
  log(`Go image ${p.name}: cold ${sec(coldMs)} s, cached ${sec(cachedMs)} s`);
}
report["goImages"] = goImages;

// ---- variants, harness and hand-written, interleaved round by round
const harness = new Map<string, { total: number[]; wait: number[]; setup: number[]; teardown: number[]; steps: number[]; timescale: number }>();
const hand = new Map<string, number[]>();
for (let round = 1; round <= rounds; round++) {
  for (const v of variants) {
    const key = `${v.scenario.name}/${v.variant.name}`;
    const r = await runVariant(v, { artifactsRoot: ARTIFACTS, handleSignals: false });
    if (r.status !== "passed") throw new Error(`${key} failed during the benchmark: ${r.error ?? "expectations not met"}`);
    const h = harness.get(key) ?? { total: [], wait: [], setup: [], teardown: [], steps: [], timescale: v.timescale };
    h.total.push(r.timing.totalMs);
    h.wait.push(r.timing.waitMs);
    h.setup.push(r.timing.setupMs);
    h.teardown.push(r.timing.teardownMs);
    h.steps.push(r.timing.stepsMs);
    harness.set(key, h);
  }
  const out = join(RESULTS, `handwritten-${round}.json`);
  await timed(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "--config", "bench/vitest.bench.config.ts"], { NETREPRO_BENCH_OUT: out });
  for (const [variant, ms] of Object.entries(JSON.parse(readFileSync(out, "utf8")) as Record<string, number>)) {
    const key = `haproxy-server-state-file-stale-port/${variant}`;
    hand.set(key, [...(hand.get(key) ?? []), ms]);
  }
  log(`round ${round}/${rounds} done`);
}

const rows = [...harness].map(([key, h]) => {
  const total = median(h.total);
  const wait = median(h.wait);
  const handMs = hand.has(key) ? median(hand.get(key)!) : undefined;
  // The timeline of a compressed scenario is its physical floor (the scaled gaps and deadlines);
  // compression is the incident time it stands for over the whole wall time, set-up included.
  const steps = median(h.steps);
  return {
    variant: key,
    harnessMs: Math.round(total),
    waitMs: Math.round(wait),
    overheadMs: Math.round(total - wait),
    setupMs: Math.round(median(h.setup)),
    teardownMs: Math.round(median(h.teardown)),
    handwrittenMs: handMs === undefined ? null : Math.round(handMs),
    ratio: handMs === undefined ? null : +(total / handMs).toFixed(3),
    timescale: h.timescale,
    timelineMs: Math.round(steps),
    compression: h.timescale > 1 ? +((steps * h.timescale) / total).toFixed(1) : null,
  };
});
report["variants"] = rows;

// ---- the whole suite through the CLI
report["cliSuiteMs"] = await timed(process.execPath, ["harness/cli.ts", "run", "--artifacts", "artifacts/bench"]);

writeFileSync(join(RESULTS, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
const pad = (s: string, n: number) => s.padEnd(n);
const nameWidth = Math.max(52, ...rows.map((r) => r.variant.length));
process.stdout.write(
  `\nimages built cold (no cache): ${report["imagesColdMs"] !== undefined ? `${sec(report["imagesColdMs"] as number)} s` : "skipped"}; set-up warm: ${sec(report["setupWarmMs"] as number)} s\n\n` +
    `${pad("variant", nameWidth)} ${pad("harness", 9)} ${pad("waits", 7)} ${pad("overhead", 9)} ${pad("by hand", 9)} ${pad("ratio", 6)} ${pad("timeline", 9)} compression\n` +
    rows
      .map(
        (r) =>
          `${pad(r.variant, nameWidth)} ${pad(`${sec(r.harnessMs)} s`, 9)} ${pad(`${sec(r.waitMs)} s`, 7)} ${pad(`${sec(r.overheadMs)} s`, 9)} ` +
          `${pad(r.handwrittenMs === null ? "-" : `${sec(r.handwrittenMs)} s`, 9)} ${pad(String(r.ratio ?? "-"), 6)} ${pad(`${sec(r.timelineMs)} s`, 9)} ${r.compression === null ? "-" : `${r.compression}× (timescale ${r.timescale})`}`,
      )
      .join("\n") +
    (goImages.length
      ? `\n\n${pad("Go program image", 52)} ${pad("go", 5)} ${pad("cold", 9)} cached\n` +
        goImages.map((g) => `${pad(g.image, 52)} ${pad(g.go, 5)} ${pad(`${sec(g.coldMs)} s`, 9)} ${g.cachedMs} ms`).join("\n")
      : "") +
    `\n\nwhole suite through the CLI: ${sec(report["cliSuiteMs"] as number)} s  (median of ${rounds} rounds per variant; bench/results/latest.json)\n`,
);
process.exit(0);
