/**
 * Runs one planned variant: images, networks, components, the timeline of steps, then the
 * expectations; teardown always. Returns what was observed and every verdict with its evidence.
 */
import { readFileSync } from "node:fs";
import { errorMessage, exitCodeOf, ExitCode, HarnessError, ScenarioRuntimeError, type ExitCodeValue } from "./errors.ts";
import type { ComponentInstance, StepContext, StepObservation, StepOutput } from "./registry.ts";
import type { PlannedStep, VariantPlan } from "./plan/plan.ts";
import { resolveRuntime, substituteFixture } from "./plan/template.ts";
import { ensureImages, imageTag } from "./runtime/images.ts";
import { generateCertificates, type GeneratedCertificate } from "./runtime/certs.ts";
import { CERTIFICATE_IMAGE } from "./plan/plan.ts";
import { installSignalHandlers, Run, type TeardownReport } from "./runtime/run.ts";
import { toRegExp, type FixtureRef } from "./schema/types.ts";
import { withCommonFields } from "./components/common.ts";
import { evaluateChecks, type CheckResult } from "./expect/evaluate.ts";
import { writeArtifacts } from "./report/artifacts.ts";

export type { CheckResult } from "./expect/evaluate.ts";

export interface VariantResult {
  scenario: string;
  variant: string;
  outcome: "reproduces" | "fixed";
  runId: string;
  status: "passed" | "failed";
  exitCode: ExitCodeValue;
  error?: string;
  checks: CheckResult[];
  steps: StepObservation[];
  artifactsDir: string;
  timing: {
    totalMs: number;
    setupMs: number;
    stepsMs: number;
    checksMs: number;
    teardownMs: number;
    /** The scenario's own waits (sleep steps), real time. */
    waitMs: number;
  };
  teardown?: TeardownReport;
}

export interface RunEvents {
  variantStart?(plan: VariantPlan, runId: string): void;
  phase?(plan: VariantPlan, text: string): void;
  stepEnd?(plan: VariantPlan, step: PlannedStep, obs: StepObservation | undefined, error?: string): void;
  check?(plan: VariantPlan, check: CheckResult): void;
  variantEnd?(plan: VariantPlan, result: VariantResult): void;
}

export interface RunOptions {
  artifactsRoot: string;
  events?: RunEvents;
  /** Install SIGINT/SIGTERM handlers that tear down and exit (the CLI); vitest workers too. */
  handleSignals?: boolean;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

function stepName(step: PlannedStep): string {
  return step.id ?? `step-${step.index + 1}`;
}

export async function runVariant(plan: VariantPlan, opts: RunOptions): Promise<VariantResult> {
  if (opts.handleSignals !== false) installSignalHandlers();
  const ev = opts.events ?? {};
  const run = new Run({ scenario: plan.scenario.name, variant: plan.variant.name, artifactsRoot: opts.artifactsRoot });
  const t0 = Date.now();
  ev.variantStart?.(plan, run.runId);
  run.timeline.add("run", "runtime", `run ${run.runId}: ${plan.scenario.name} [${plan.variant.name}] expects the failure to be ${plan.variant.outcome === "reproduces" ? "reproduced" : "absent"}`);

  const instances = new Map<string, ComponentInstance>();
  const observations = new Map<string, StepObservation>();
  const background = new Map<string, Promise<void>>();
  let error: unknown;
  let stepsStarted = false;
  let setupMs = 0;
  let stepsMs = 0;
  let waitMs = 0;

  const fixture = (ref: FixtureRef) => substituteFixture(readFileSync(ref.absPath, "utf8"), plan.params);
  let certs = new Map<string, GeneratedCertificate>();
  const certificate = (name: string): GeneratedCertificate => {
    const c = certs.get(name);
    if (!c) throw new ScenarioRuntimeError(`certificate \`${name}\` was not generated`);
    return c;
  };
  const lookup = (component: string, attr: string): string => {
    if (component === "certs" && attr.includes(".")) {
      const [name, field] = attr.split(".", 2) as [string, string];
      return String(certificate(name)[field as keyof GeneratedCertificate]);
    }
    const inst = instances.get(component);
    if (!inst) throw new ScenarioRuntimeError(`\${${component}.${attr}}: component \`${component}\` is not running`);
    if (attr === "ip") return inst.container.ip();
    if (attr === "name") return inst.container.name;
    if (attr === "id") return inst.container.id;
    const def = plan.components.find((c) => c.name === component)!.def;
    const a = def.attributes?.[attr];
    if (!a) throw new ScenarioRuntimeError(`\${${component}.${attr}}: a ${def.kind} has no attribute \`${attr}\``);
    return a.get(inst);
  };
  const stepCtx: StepContext = {
    runId: run.runId,
    timeline: run.timeline,
    artifactsDir: run.artifactsDir,
    signal: run.signal,
    timescale: plan.timescale,
    labels: run.labels,
    component(name) {
      const inst = instances.get(name);
      if (!inst) throw new ScenarioRuntimeError(`component \`${name}\` is not running`);
      return inst;
    },
    network: (name) => run.network(name),
    fixture,
    certificate,
    artifact: (rel, content) => run.artifact(rel, content),
    note: (text) => void run.timeline.add("note", "scenario", text),
  };

  try {
    // ---- set-up: images, networks, components in dependency order (independent ones together)
    ev.phase?.(plan, "images");
    await ensureImages(plan.images, { log: (l) => ev.phase?.(plan, l) });
    const setupCtx = (name: string) => ({ runId: run.runId, name, scenarioDir: plan.dir, fixture, certificate });
    const prepared = new Map<string, string>();
    const makeCertificates = async () => {
      if (!plan.certificates.length) return;
      ev.phase?.(plan, `generating certificates ${plan.certificates.map((c) => c.name).join(", ")}`);
      certs = await generateCertificates(plan.certificates, {
        image: imageTag(CERTIFICATE_IMAGE),
        labels: run.labels,
        created: (id) => run.adopt(id),
      });
      for (const c of certs.values()) {
        run.artifact(`certs/${c.name}.crt`, c.cert);
        run.artifact(`certs/${c.name}.chain.crt`, c.chain);
        run.artifact(`certs/${c.name}.key`, c.key);
        run.timeline.add("run", "runtime", `certificate ${c.name}: ${c.subject} issued by ${c.issuer}, sha256 ${c.fingerprint}`);
      }
      const summary = [...certs.values()].map(({ cert: _c, chain: _ch, key: _k, ...rest }) => rest);
      run.artifact("certs/certificates.json", `${JSON.stringify(summary, null, 2)}\n`);
    };
    await Promise.all([
      run.createNetworks(plan.networks),
      makeCertificates(),
      ...plan.components
        .filter((c) => c.def.prepare)
        .map(async (c) => {
          const log = (l: string) => ev.phase?.(plan, `${c.name}: ${l}`);
          prepared.set(c.name, await c.def.prepare!(c.spec as never, { ...setupCtx(c.name), log }));
        }),
    ]);
    // Drivers' preparation starts now and is awaited once the components are up; a failure surfaces there.
    const preparing = Promise.all(
      plan.steps.map((s) => (s.type === "run" && s.def.prepare ? s.def.prepare(s.args, stepCtx) : undefined)),
    );
    preparing.catch(() => {});
    const pending = [...plan.components];
    const ready = new Set<string>();
    while (pending.length) {
      const wave = pending.filter((c) => c.dependsOn.every((d) => ready.has(d)));
      ev.phase?.(plan, `starting ${wave.map((c) => `${c.name} (${c.def.kind})`).join(", ")}`);
      await Promise.all(
        wave.map(async (c) => {
          const spec = withCommonFields(
            c.def.container(c.spec as never, { ...setupCtx(c.name), ...(prepared.has(c.name) ? { prepared: prepared.get(c.name)! } : {}) }),
            c.spec,
            certificate,
          );
          const container = await run.startComponent({
            component: c.name,
            kind: c.def.kind,
            spec,
            networks: c.networks,
            readyTimeoutMs: c.readyTimeoutMs,
            note: (text) => ev.phase?.(plan, text),
          });
          const inst: ComponentInstance = { name: c.name, kind: c.def.kind, container, spec: c.spec, state: new Map() };
          instances.set(c.name, inst);
          await c.def.afterStart?.(inst, stepCtx);
          ready.add(c.name);
        }),
      );
      for (const c of wave) pending.splice(pending.indexOf(c), 1);
    }
    await preparing;
    setupMs = Date.now() - t0;

    // ---- the timeline
    const tSteps = Date.now();
    stepsStarted = true;
    for (const step of plan.steps) {
      run.throwIfInterrupted();
      if (step.type === "sleep") {
        run.timeline.add("step", "scenario", `${step.label}${step.why ? `: ${step.why}` : ""}`);
        const s0 = Date.now();
        await sleep(step.duration.ms, run.signal);
        waitMs += Date.now() - s0;
        ev.stepEnd?.(plan, step, undefined);
        continue;
      }
      if (step.type === "wait") {
        run.timeline.add("step", "scenario", step.label);
        const target = background.get(step.target);
        if (target) {
          const limit = step.timeoutMs ?? 24 * 3600_000;
          await Promise.race([
            target,
            sleep(limit, run.signal).then(() => {
              throw new ScenarioRuntimeError(`background step \`${step.target}\` did not finish within ${limit} ms`);
            }),
          ]);
        }
        ev.stepEnd?.(plan, step, observations.get(step.target));
        continue;
      }
      if (step.type === "until") {
        run.timeline.add("step", "scenario", step.label);
        const since = run.timeline.startedAt;
        const waitedFrom = Date.now();
        const line = await stepCtx
          .component(step.component)
          .container.waitForLog(toRegExp(step.pattern), { sinceEpochMs: since, timeoutMs: step.timeoutMs })
          .catch((err: unknown) => {
            throw new ScenarioRuntimeError(`step ${step.index + 1} (${step.label}): ${errorMessage(err)}`, { cause: err });
          });
        // Its duration is how long the event took to come, from the step's start (0 if it came before).
        const obs: StepObservation = { id: stepName(step), kind: "until", startedAt: waitedFrom, durationMs: Math.max(0, Math.round(line.at - waitedFrom)), stdout: `${line.line}\n`, stderr: "" };
        observations.set(obs.id, obs);
        ev.stepEnd?.(plan, step, obs);
        continue;
      }
      const exec = executeStep(step, stepCtx, lookup, run, observations).then(
        (obs) => ev.stepEnd?.(plan, step, obs),
        (err: unknown) => {
          ev.stepEnd?.(plan, step, undefined, errorMessage(err));
          throw err;
        },
      );
      if (step.background) {
        // A background step's failure fails the run when it is waited for, or at the end.
        exec.catch(() => {});
        background.set(stepName(step), exec);
        continue;
      }
      await exec;
    }
    await Promise.all(background.values());
    stepsMs = Date.now() - tSteps;
  } catch (err) {
    error = err;
    if (!setupMs) setupMs = Date.now() - t0;
    run.timeline.add("run", "runtime", `stopped: ${errorMessage(err)}`);
  }

  // ---- collect what components hold (captures, files), even after an error
  for (const c of plan.components) {
    const inst = instances.get(c.name);
    if (!inst || !c.def.collect) continue;
    try {
      await c.def.collect(inst, stepCtx);
    } catch (err) {
      error ??= new ScenarioRuntimeError(`collecting from \`${c.name}\`: ${errorMessage(err)}`, { cause: err });
    }
  }

  // ---- expectations, even after an error: what was observed still says something
  const tChecks = Date.now();
  // When set-up failed, nothing was observed: the error is the whole story.
  const checks = stepsStarted ? evaluateChecks(plan, run.timeline, instances, observations, lookup, (c) => ev.check?.(plan, c)) : [];
  const checksMs = Date.now() - tChecks;

  const teardown = await run.teardown();
  if (teardown.errors.length) {
    error ??= new HarnessError(`teardown: ${teardown.errors.join("; ")}`, { exitCode: ExitCode.environment });
  }
  const failed = error !== undefined || checks.some((c) => !c.ok);
  const result: VariantResult = {
    scenario: plan.scenario.name,
    variant: plan.variant.name,
    outcome: plan.variant.outcome,
    runId: run.runId,
    status: failed ? "failed" : "passed",
    exitCode: error !== undefined ? exitCodeOf(error) : failed ? ExitCode.failed : ExitCode.ok,
    ...(error !== undefined ? { error: errorMessage(error) } : {}),
    checks,
    steps: [...observations.values()],
    artifactsDir: run.artifactsDir,
    timing: { totalMs: Date.now() - t0, setupMs, stepsMs, checksMs, teardownMs: teardown.durationMs, waitMs },
    teardown,
  };
  writeArtifacts(run, plan, result);
  ev.variantEnd?.(plan, result);
  return result;
}

async function executeStep(
  step: Exclude<PlannedStep, { type: "sleep" | "wait" | "until" }>,
  ctx: StepContext,
  lookup: (c: string, a: string) => string,
  run: Run,
  observations: Map<string, StepObservation>,
): Promise<StepObservation> {
  const id = stepName(step);
  const startedAt = Date.now();
  run.timeline.add("step", "scenario", `${step.label} started`);
  let out: StepOutput;
  let kind: string;
  try {
    const args = resolveRuntime(step.args, lookup);
    if (step.type === "action") {
      kind = `action:${step.action}`;
      out = await step.def.run(ctx.component(step.component), args, ctx);
    } else if (step.type === "run") {
      kind = step.def.kind;
      out = await step.def.run(args, ctx);
    } else {
      kind = `fault:${step.def.kind}`;
      const revert = await step.def.apply(args, ctx);
      run.addRevert(step.label, revert);
      out = { stdout: "", stderr: "" };
    }
  } catch (err) {
    const obs: StepObservation = { id, kind: step.type, startedAt, durationMs: Date.now() - startedAt, stdout: "", stderr: "", error: errorMessage(err) };
    obs.artifact = run.artifact(`steps/${String(step.index + 1).padStart(2, "0")}-${id}.json`, JSON.stringify(obs, null, 2));
    observations.set(id, obs);
    run.timeline.add("step", "scenario", `${step.label} failed: ${errorMessage(err)}`);
    throw err instanceof HarnessError ? err : new ScenarioRuntimeError(`step ${step.index + 1} (${step.label}) failed: ${errorMessage(err)}`, { cause: err });
  }
  const obs: StepObservation = {
    id,
    kind,
    ...out,
    startedAt: out.startedAt ?? startedAt,
    durationMs: out.durationMs ?? Date.now() - startedAt,
  };
  obs.artifact = run.artifact(`steps/${String(step.index + 1).padStart(2, "0")}-${id}.json`, JSON.stringify(obs, null, 2));
  observations.set(id, obs);
  const code = obs.exitCode !== undefined ? ` exit ${obs.exitCode}` : "";
  run.timeline.add("step", "scenario", `${step.label} done in ${obs.durationMs} ms${code}`, { stdout: obs.stdout.slice(0, 500) });
  return obs;
}
