/**
 * The plan: from a scenario file to one runnable plan per variant. Parameters are substituted,
 * every field is validated against the registries, references are checked, durations are scaled
 * by the timescale and checked against what their mechanism can resolve. Any problem is an
 * InputError with file:line:col; no container is started before this succeeds.
 */
import { statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { z } from "zod";
import { components as componentDefs } from "../components/index.ts";
import { drivers as driverDefs } from "../drivers/index.ts";
import { formatMs } from "../duration.ts";
import { InputError, type InputProblem, type SourcePos } from "../errors.ts";
import { expectations as expectationDefs } from "../expect/index.ts";
import { faults as faultDefs } from "../faults/index.ts";
import type { ActionDef, ComponentDef, DriverDef, ExpectationDef, FaultDef } from "../registry.ts";
import { toProblems, didYouMean } from "../schema/issues.ts";
import {
  ActionStepSchema,
  FaultStepSchema,
  paramsSchema,
  RunStepSchema,
  ScenarioSchema,
  SleepStepSchema,
  STEP_KEYS,
  stepEnabled,
  stepIf,
  UntilStepSchema,
  WaitStepSchema,
} from "../schema/scenario.ts";
import { loadSource, pathToString, type Path, type SourceDoc } from "../schema/source.ts";
import { CertificateRef, ComponentRef, Duration, FolderRef, PathRef, StepRef } from "../schema/types.ts";
import type { CertificateSpec } from "../runtime/certs.ts";
import { substituteParams, type Params, type RuntimeNames } from "./template.ts";

export const DEFAULT_NETWORK = "net";
/** The image whose openssl makes the scenario's certificates. */
export const CERTIFICATE_IMAGE = "tools";

export interface PlannedComponent {
  name: string;
  def: ComponentDef;
  spec: Record<string, unknown>;
  networks: string[];
  dependsOn: string[];
  readyTimeoutMs: number;
}

interface StepBase {
  index: number;
  id?: string;
  background: boolean;
  label: string;
  pos: SourcePos;
}

export type PlannedStep =
  | (StepBase & { type: "action"; component: string; action: string; def: ActionDef; args: Record<string, unknown> })
  | (StepBase & { type: "run"; def: DriverDef; args: Record<string, unknown> })
  | (StepBase & { type: "sleep"; duration: Duration; why?: string })
  | (StepBase & { type: "wait"; target: string; timeoutMs?: number })
  | (StepBase & { type: "until"; component: string; pattern: string; timeoutMs: number })
  | (StepBase & { type: "fault"; def: FaultDef; args: Record<string, unknown> });

export interface PlannedCheck {
  role: "symptom" | "expect";
  /** Symptoms in a `fixed` variant must not hold. */
  negate: boolean;
  def: ExpectationDef;
  args: Record<string, unknown>;
  label: string;
  because?: string;
  pos: SourcePos;
}

export interface VariantPlan {
  /** Certificates to generate before any component starts, issuers first. */
  certificates: CertificateSpec[];
  file: string;
  dir: string;
  scenario: { name: string; title: string; incident: { source: string; url?: string | undefined; summary: string } };
  variant: { name: string; description: string; outcome: "reproduces" | "fixed" };
  timescale: number;
  params: Params;
  networks: { name: string; internal: boolean }[];
  components: PlannedComponent[];
  steps: PlannedStep[];
  checks: PlannedCheck[];
  images: string[];
}

export interface ScenarioPlan {
  file: string;
  name: string;
  title: string;
  variants: VariantPlan[];
}

const byKind = <T extends { kind: string }>(defs: readonly T[]) => new Map(defs.map((d) => [d.kind, d]));
const COMPONENTS = byKind(componentDefs);
const DRIVERS = byKind(driverDefs);
const FAULTS = byKind(faultDefs);
const EXPECTATIONS = byKind(expectationDefs);

/** The scenario's top level, with steps checked one by one afterwards for clearer errors. */
const ScenarioShape = ScenarioSchema.extend({ steps: z.array(z.unknown()).min(1).describe("the timeline") });

export function planScenarioFile(file: string, opts: { displayName?: string; overrides?: Params } = {}): ScenarioPlan {
  const doc = loadSource(file, opts.displayName ?? file);
  return planScenario(doc, resolve(file), opts.overrides ?? {});
}

export function planScenario(doc: SourceDoc, absFile: string, overrides: Params = {}): ScenarioPlan {
  const problems: InputProblem[] = [];
  const raw = doc.data;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InputError([doc.problem([], "expected a mapping with version, name, components, steps and variants")]);
  }
  const top = raw as Record<string, unknown>;

  // Parameters first: they are needed to expand anything else.
  const baseParams = checkParams(doc, top["params"], ["params"], problems);
  const variantsRaw = top["variants"];
  const variantNames =
    variantsRaw && typeof variantsRaw === "object" && !Array.isArray(variantsRaw) ? Object.keys(variantsRaw) : [];
  if (variantNames.length === 0) problems.push(doc.problem(["variants"], "expected at least one variant (the bug, and its fix)"));
  for (const key of Object.keys(overrides)) {
    const declared = Object.keys(baseParams);
    if (!declared.includes(key)) {
      problems.push({ pos: { file: doc.file, line: 1, col: 1 }, path: "params", message: `--set ${key}: the scenario declares no such param; declared: ${declared.join(", ") || "none"}` });
    }
  }
  if (problems.length) throw new InputError(dedupe(problems));

  const rawComponents = (top["components"] && typeof top["components"] === "object" ? top["components"] : {}) as Record<string, unknown>;
  const componentNames = Object.keys(rawComponents);
  // For ${component.attribute}: the attributes each component's kind offers beyond ip, name, id.
  const componentAttrs = Object.fromEntries(
    componentNames.map((n) => {
      const kind = (rawComponents[n] as { kind?: unknown } | null)?.kind;
      return [n, Object.keys(COMPONENTS.get(String(kind))?.attributes ?? {})];
    }),
  );
  const certificateNames =
    top["certificates"] && typeof top["certificates"] === "object" ? Object.keys(top["certificates"] as object) : [];
  const variants: VariantPlan[] = [];
  for (const vname of variantNames) {
    const vraw = (variantsRaw as Record<string, unknown>)[vname];
    const vparams = checkParams(doc, (vraw as Record<string, unknown> | undefined)?.["params"], ["variants", vname, "params"], problems);
    const params: Params = { ...baseParams, ...vparams, ...overrides };
    const plan = planVariant(doc, absFile, top, vname, params, { components: componentAttrs, certificates: certificateNames }, problems);
    if (plan) variants.push(plan);
  }
  if (problems.length) throw new InputError(dedupe(problems));
  const first = variants[0]!;
  if (basename(absFile) === "scenario.yaml" && basename(dirname(absFile)) !== first.scenario.name) {
    throw new InputError([
      doc.problem(["name"], `expected the folder's name \`${basename(dirname(absFile))}\`, found \`${first.scenario.name}\``),
    ]);
  }
  return { file: doc.file, name: first.scenario.name, title: first.scenario.title, variants };
}

function checkParams(doc: SourceDoc, value: unknown, path: Path, problems: InputProblem[]): Params {
  if (value === undefined) return {};
  const r = paramsSchema.safeParse(value);
  if (!r.success) {
    problems.push(...toProblems(doc, doc.data, r.error.issues, path));
    return {};
  }
  return r.data;
}

function dedupe(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = `${p.pos.line}:${p.pos.col}:${p.path}:${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
}

function planVariant(
  doc: SourceDoc,
  absFile: string,
  top: Record<string, unknown>,
  vname: string,
  params: Params,
  names: RuntimeNames,
  problems: InputProblem[],
): VariantPlan | undefined {
  const before = problems.length;
  const componentNames = Object.keys(names.components);
  // This variant's own section only: another variant's expectations are read with its own params.
  const scoped = { ...top, variants: { [vname]: (top["variants"] as Record<string, unknown>)[vname] } };
  const sub = substituteParams(scoped, params, names);
  for (const p of sub.problems) problems.push(doc.problem(p.path, p.message));
  const data = sub.value as Record<string, unknown>;

  const shape = ScenarioShape.safeParse(data);
  if (!shape.success) {
    problems.push(...toProblems(doc, data, shape.error.issues));
    return undefined;
  }
  const sc = shape.data;
  const variant = sc.variants[vname]!;
  const dir = dirname(absFile);

  // Networks.
  const networks = Object.entries(sc.networks ?? { [DEFAULT_NETWORK]: { internal: false } }).map(([name, n]) => ({
    name,
    internal: n.internal,
  }));
  const networkNames = networks.map((n) => n.name);

  // Components.
  const components: PlannedComponent[] = [];
  for (const [name, spec] of Object.entries(sc.components)) {
    const s = spec as Record<string, unknown> & { kind: string; networks?: string[]; dependsOn?: string[]; readyTimeout: Duration };
    const def = COMPONENTS.get(s.kind)!;
    for (const [i, n] of (s.networks ?? []).entries()) {
      if (!networkNames.includes(n)) {
        problems.push(doc.problem(["components", name, "networks", i], `unknown network \`${n}\`; networks: ${networkNames.join(", ")}${didYouMean(n, networkNames)}`));
      }
    }
    for (const [i, d] of (s.dependsOn ?? []).entries()) {
      if (!componentNames.includes(d)) {
        problems.push(doc.problem(["components", name, "dependsOn", i], `unknown component \`${d}\`; components: ${componentNames.join(", ")}${didYouMean(d, componentNames)}`));
      }
    }
    components.push({
      name,
      def,
      spec: s,
      networks: s.networks ?? [networkNames[0]!],
      dependsOn: s.dependsOn ?? [],
      readyTimeoutMs: s.readyTimeout.ms,
    });
  }
  if (components.length === 0) problems.push(doc.problem(["components"], "expected at least one component"));
  // A component that names others in its fields (an idle cutter's endpoints) starts after them.
  for (const c of components) {
    for (const ref of componentRefsIn(c.spec)) {
      if (ref !== c.name && componentNames.includes(ref) && !c.dependsOn.includes(ref)) c.dependsOn.push(ref);
    }
  }
  const scenarioView = {
    components: components.map((c) => ({
      name: c.name,
      kind: c.def.kind,
      spec: c.spec,
      networks: c.networks,
      capabilities: [...(c.def.capabilities ?? []), ...((c.spec["capAdd"] as string[] | undefined) ?? [])],
    })),
  };
  for (const c of components) {
    for (const p of c.def.validate?.(c.spec as never, scenarioView) ?? []) problems.push(doc.problem(["components", c.name, ...p.path], p.message));
  }
  checkDependencyCycles(doc, components, problems);

  // Steps, one by one.
  const steps: PlannedStep[] = [];
  const markers: { path: Path; value: unknown }[] = [];
  sc.steps.forEach((rawStep, i) => {
    const cond = rawStep && typeof rawStep === "object" ? (rawStep as { if?: unknown }).if : undefined;
    const { if: _cond, ...rest } = (rawStep && typeof rawStep === "object" ? rawStep : {}) as Record<string, unknown>;
    const planned = planStep(doc, data, rawStep && typeof rawStep === "object" ? rest : rawStep, i, components, problems);
    const condOk = stepIf.safeParse(cond);
    if (!condOk.success) {
      problems.push(...toProblems(doc, data, condOk.error.issues, ["steps", i, "if"]));
      return;
    }
    if (planned && stepEnabled(condOk.data)) {
      steps.push(planned.step);
      markers.push({ path: ["steps", i], value: planned.validated });
    }
  });
  const ids = new Map<string, number>();
  for (const s of steps) {
    if (!s.id) continue;
    if (ids.has(s.id)) problems.push(doc.problem(["steps", s.index, "id"], `duplicate step id \`${s.id}\` (also step ${ids.get(s.id)! + 1})`));
    ids.set(s.id, s.index);
  }
  for (const s of steps) {
    if (s.type !== "wait") continue;
    const target = steps.find((t) => t.id === s.target);
    if (target && (!target.background || target.index > s.index)) {
      problems.push(doc.problem(["steps", s.index, "wait"], `step \`${s.target}\` is not a background step that comes before this one`));
    }
  }

  // Expectations: common ones, symptoms, and this variant's own.
  const checks: PlannedCheck[] = [];
  const addChecks = (list: readonly unknown[], path: Path, role: PlannedCheck["role"], negate: boolean) =>
    list.forEach((e, i) => {
      const args = e as Record<string, unknown> & { kind: string; name?: string; because?: string };
      const p = [...path, i];
      markers.push({ path: p, value: args });
      checks.push({
        role,
        negate,
        def: EXPECTATIONS.get(args.kind)!,
        args,
        label: args.name ?? `${args.kind} ${describeArgs(args)}`,
        ...(args.because ? { because: args.because } : {}),
        pos: doc.locate(p),
      });
    });
  addChecks(sc.symptoms, ["symptoms"], "symptom", variant.outcome === "fixed");
  addChecks(sc.expect, ["expect"], "expect", false);
  addChecks(variant.expect ?? [], ["variants", vname, "expect"], "expect", false);
  if (variant.outcome === "reproduces" && sc.symptoms.length === 0 && (variant.expect ?? []).length === 0) {
    problems.push(doc.problem(["variants", vname], "a variant that reproduces the failure needs `symptoms` or its own `expect` to say what the failure looks like"));
  }
  components.forEach((c) => markers.push({ path: ["components", c.name], value: c.spec }));
  const certificates = planCertificates(doc, sc.certificates ?? {}, problems);

  // One walk over everything validated: durations, references, fixtures.
  const mctx: MarkerContext = { timescale: sc.timescale, dir, components, steps, certificates: [...(names.certificates ?? [])], problems, idle: [] };
  for (const m of markers) checkMarkers(doc, m.value, m.path, mctx);
  checkIdleFidelity(doc, mctx);

  if (problems.length > before) return undefined;
  const images = new Set<string>();
  for (const c of components) for (const img of c.def.images) images.add(img);
  if (certificates.length) images.add(CERTIFICATE_IMAGE);
  for (const s of steps) if (s.type === "run") for (const img of s.def.images ?? []) images.add(img);
  return {
    file: doc.file,
    dir,
    scenario: { name: sc.name, title: sc.title, incident: sc.incident },
    variant: { name: vname, description: variant.description, outcome: variant.outcome },
    timescale: sc.timescale,
    params,
    certificates,
    networks,
    components,
    steps,
    checks,
    images: [...images].sort(),
  };
}

function componentRefsIn(value: unknown): string[] {
  if (value instanceof ComponentRef) return [value.name];
  if (Array.isArray(value)) return value.flatMap(componentRefsIn);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).flatMap(componentRefsIn);
  }
  return [];
}

type CertificateFields = Omit<CertificateSpec, "name" | "issuer"> & { issuer?: CertificateRef | undefined };

/** Certificates in the order they can be made (issuers first); an issuer must be a declared CA, with no cycle. */
function planCertificates(doc: SourceDoc, declared: Record<string, unknown>, problems: InputProblem[]): CertificateSpec[] {
  const certs = declared as Record<string, CertificateFields>;
  const names = Object.keys(certs);
  const ordered: CertificateSpec[] = [];
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): boolean => {
    if (done.has(name)) return true;
    const c = certs[name]!;
    const issuer = c.issuer?.name;
    if (issuer !== undefined) {
      const path = ["certificates", name, "issuer"];
      if (!(issuer in certs)) {
        problems.push(doc.problem(path, `unknown certificate \`${issuer}\`; certificates: ${names.join(", ")}${didYouMean(issuer, names)}`));
        return false;
      }
      if (!certs[issuer]!.ca) {
        problems.push(doc.problem(path, `\`${issuer}\` is not a CA (add \`ca: true\` to it) and cannot issue \`${name}\``));
        return false;
      }
      if (trail.includes(issuer) || issuer === name) {
        problems.push(doc.problem(path, `issuer cycle: ${[...trail, name, issuer].join(" → ")}`));
        return false;
      }
      if (!visit(issuer, [...trail, name])) return false;
    }
    const { issuer: _ref, ...fields } = c;
    ordered.push({ name, ...fields, ...(issuer !== undefined ? { issuer } : {}) });
    done.add(name);
    return true;
  };
  for (const n of names) visit(n, []);
  return ordered;
}

function describeArgs(args: Record<string, unknown>): string {
  return Object.entries(args)
    .filter(([k]) => !["kind", "name", "because"].includes(k))
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null && !(v instanceof StepRef) && !(v instanceof ComponentRef) ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

function checkDependencyCycles(doc: SourceDoc, components: PlannedComponent[], problems: InputProblem[]) {
  const deps = new Map(components.map((c) => [c.name, c.dependsOn]));
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (n: string, trail: string[]): boolean => {
    if (done.has(n)) return true;
    if (visiting.has(n)) {
      problems.push(doc.problem(["components", n, "dependsOn"], `dependency cycle: ${[...trail, n].join(" → ")}`));
      return false;
    }
    visiting.add(n);
    for (const d of deps.get(n) ?? []) if (!visit(d, [...trail, n])) return false;
    visiting.delete(n);
    done.add(n);
    return true;
  };
  for (const c of components) visit(c.name, []);
}

function planStep(
  doc: SourceDoc,
  data: Record<string, unknown>,
  rawStep: unknown,
  i: number,
  components: PlannedComponent[],
  problems: InputProblem[],
): { step: PlannedStep; validated: unknown } | undefined {
  const path: Path = ["steps", i];
  if (!rawStep || typeof rawStep !== "object" || Array.isArray(rawStep)) {
    problems.push(doc.problem(path, `expected a step (a mapping with one of ${STEP_KEYS.join(", ")}), found ${JSON.stringify(rawStep)}`));
    return undefined;
  }
  const keys = STEP_KEYS.filter((k) => k in rawStep);
  if (keys.length !== 1) {
    problems.push(
      doc.problem(path, keys.length === 0
        ? `a step needs one of ${STEP_KEYS.map((k) => `\`${k}\``).join(", ")}; found fields ${Object.keys(rawStep).join(", ") || "none"}`
        : `a step has exactly one of ${STEP_KEYS.join(", ")}; found ${keys.join(" and ")}`),
    );
    return undefined;
  }
  const key = keys[0]!;
  const pos = doc.locate(path);
  const fail = (issues: readonly z.core.$ZodIssue[], base: Path = path) => {
    problems.push(...toProblems(doc, data, issues, base));
    return undefined;
  };
  if (key === "sleep") {
    const r = SleepStepSchema.safeParse(rawStep);
    if (!r.success) return fail(r.error.issues);
    const s = r.data;
    return {
      step: { type: "sleep", index: i, ...(s.id ? { id: s.id } : {}), background: false, duration: s.sleep, ...(s.why ? { why: s.why } : {}), label: `sleep ${s.sleep.text}`, pos },
      validated: s,
    };
  }
  if (key === "wait") {
    const r = WaitStepSchema.safeParse(rawStep);
    if (!r.success) return fail(r.error.issues);
    return {
      step: { type: "wait", index: i, background: false, target: r.data.wait.id, ...(r.data.timeout ? { timeoutMs: r.data.timeout.ms } : {}), label: `wait for ${r.data.wait.id}`, pos },
      validated: r.data,
    };
  }
  if (key === "until") {
    const r = UntilStepSchema.safeParse(rawStep);
    if (!r.success) return fail(r.error.issues);
    const u = r.data;
    return {
      step: { type: "until", index: i, ...(u.id ? { id: u.id } : {}), background: false, component: u.until.on.name, pattern: u.until.log, timeoutMs: u.timeout.ms, label: `until ${u.until.on.name} logs ${u.until.log}`, pos },
      validated: u,
    };
  }
  if (key === "run") {
    const r = RunStepSchema.safeParse(rawStep);
    if (!r.success) return fail(r.error.issues);
    const args = r.data as Record<string, unknown> & { run: string; id?: string; background?: boolean };
    const def = DRIVERS.get(args.run)!;
    const where = args["in"] instanceof ComponentRef ? ` in ${args["in"].name}` : "";
    return {
      step: { type: "run", index: i, ...(args.id ? { id: args.id } : {}), background: args.background ?? false, def, args, label: `run ${args.run}${where}${args.id ? ` (${args.id})` : ""}`, pos },
      validated: args,
    };
  }
  if (key === "fault") {
    const r = FaultStepSchema!.safeParse(rawStep);
    if (!r.success) return fail(r.error.issues);
    const args = r.data as Record<string, unknown> & { fault: string; id?: string };
    return {
      step: { type: "fault", index: i, ...(args.id ? { id: args.id } : {}), background: false, def: FAULTS.get(args.fault)!, args, label: `fault ${args.fault}`, pos },
      validated: args,
    };
  }
  // An action: its component decides which actions exist and what arguments they take.
  const head = ActionStepSchema.safeParse(rawStep);
  if (!head.success) return fail(head.error.issues);
  const { do: action, on, id, background, ...rest } = head.data as { do: string; on: ComponentRef; id?: string; background?: boolean } & Record<string, unknown>;
  const comp = components.find((c) => c.name === on.name);
  if (!comp) {
    const names = components.map((c) => c.name);
    problems.push(doc.problem([...path, "on"], `unknown component \`${on.name}\`; components: ${names.join(", ")}${didYouMean(on.name, names)}`));
    return undefined;
  }
  const actions = Object.keys(comp.def.actions);
  const def = comp.def.actions[action];
  if (!def) {
    problems.push(
      doc.problem([...path, "do"], actions.length
        ? `component \`${comp.name}\` (${comp.def.kind}) has no action \`${action}\`; its actions: ${actions.join(", ")}${didYouMean(action, actions)}`
        : `component \`${comp.name}\` (${comp.def.kind}) has no actions`),
    );
    return undefined;
  }
  const r = def.schema.safeParse(rest);
  if (!r.success) return fail(r.error.issues);
  const args = r.data as Record<string, unknown>;
  return {
    step: { type: "action", index: i, ...(id ? { id } : {}), background: background ?? false, component: comp.name, action, def, args, label: `${action} on ${comp.name}${id ? ` (${id})` : ""}`, pos },
    validated: args,
  };
}

interface MarkerContext {
  timescale: number;
  dir: string;
  components: PlannedComponent[];
  certificates: string[];
  steps: PlannedStep[];
  problems: InputProblem[];
  /** Durations that are idle limits or idle gaps, for the fidelity checks. */
  idle: { d: Duration; path: Path }[];
}

/** Below this, whether a gap beats an idle limit is decided by scheduling jitter, not by the set-up. */
export const MIN_IDLE_MARGIN_MS = 200;

/**
 * Compression changes what real software does: its own timers are not scaled. An idle limit at
 * or above a fixed timer (dockerd's 15 s keepalive) is refreshed by that timer and the failure
 * vanishes; a gap too close to a limit makes the outcome a matter of jitter.
 */
function checkIdleFidelity(doc: SourceDoc, ctx: MarkerContext) {
  const limits = ctx.idle.filter((x) => x.d.options.role === "idle-limit");
  const gaps = ctx.idle.filter((x) => x.d.options.role === "idle-gap");
  const timers = ctx.components.flatMap((c) => (c.def.fixedTimers ?? []).map((t) => ({ ...t, component: c.name })));
  for (const l of limits) {
    for (const t of timers) {
      if (l.d.ms >= t.everyMs) {
        const minScale = Math.ceil((l.d.writtenMs / t.everyMs) * 1000) / 1000;
        ctx.problems.push(
          doc.problem(l.path, `${l.d.text} at timescale ${ctx.timescale} is ${formatMs(l.d.ms)}, but ${t.description} (component \`${t.component}\`) fires every ${formatMs(t.everyMs)} of real time, which no timescale compresses: it would refresh the flow before the cut and hide the failure. ` +
            `Raise the timescale above ${minScale}, so the scaled limit stays under ${formatMs(t.everyMs)}`),
        );
      }
    }
    for (const g of gaps) {
      const margin = Math.abs(g.d.ms - l.d.ms);
      if (margin < MIN_IDLE_MARGIN_MS) {
        const need = (MIN_IDLE_MARGIN_MS * ctx.timescale) / 1000;
        ctx.problems.push(
          doc.problem(g.path, `the gap ${g.d.text} and the idle limit ${l.d.text} are ${formatMs(margin)} apart at timescale ${ctx.timescale}; under ${formatMs(MIN_IDLE_MARGIN_MS)} the outcome is decided by scheduling jitter. ` +
            `Write the gap at least ${+need.toFixed(3)}s (incident time) away from the limit, or lower the timescale`),
        );
      }
    }
  }
}

function checkMarkers(doc: SourceDoc, value: unknown, path: Path, ctx: MarkerContext): void {
  if (value instanceof Duration) {
    checkDuration(doc, value, path, ctx);
    if (value.options.role) ctx.idle.push({ d: value, path });
  } else if (value instanceof ComponentRef) {
    const comp = ctx.components.find((c) => c.name === value.name);
    const names = ctx.components.map((c) => c.name);
    if (!comp) {
      ctx.problems.push(doc.problem(path, `unknown component \`${value.name}\`; components: ${names.join(", ")}${didYouMean(value.name, names)}`));
    } else if (value.requires.observable && !(value.requires.observable in comp.def.observables)) {
      const able = componentDefs.filter((d) => value.requires.observable! in d.observables).map((d) => d.kind);
      ctx.problems.push(doc.problem(path, `component \`${comp.name}\` (${comp.def.kind}) does not record \`${value.requires.observable}\`; kinds that do: ${able.join(", ") || "none"}`));
    } else if (value.requires.kinds && !value.requires.kinds.includes(comp.def.kind)) {
      ctx.problems.push(doc.problem(path, `component \`${comp.name}\` is a ${comp.def.kind}; expected a ${value.requires.kinds.join(" or ")}`));
    }
  } else if (value instanceof CertificateRef) {
    if (!ctx.certificates.includes(value.name)) {
      ctx.problems.push(doc.problem(path, `unknown certificate \`${value.name}\`; certificates: ${ctx.certificates.join(", ") || "none (declare them under `certificates`)"}${didYouMean(value.name, ctx.certificates)}`));
    }
  } else if (value instanceof StepRef) {
    const ids = ctx.steps.map((s) => s.id).filter((x): x is string => !!x);
    if (!ids.includes(value.id)) {
      ctx.problems.push(doc.problem(path, `unknown step \`${value.id}\`; step ids: ${ids.join(", ") || "none (give the step an `id`)"}${didYouMean(value.id, ids)}`));
    }
  } else if (value instanceof PathRef) {
    const abs = resolve(ctx.dir, value.path);
    const st = statSync(abs, { throwIfNoEntry: false });
    const folder = value instanceof FolderRef;
    if (!st || (folder ? !st.isDirectory() : !st.isFile())) {
      ctx.problems.push(doc.problem(path, `${value.what} \`${value.path}\` not found beside the scenario (looked for ${abs})`));
    }
    value.absPath = abs;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkMarkers(doc, v, [...path, i], ctx));
  } else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) checkMarkers(doc, v, [...path, k], ctx);
  }
}

function checkDuration(doc: SourceDoc, d: Duration, path: Path, ctx: MarkerContext) {
  const { scaled, resolutionMs = 1, mechanism = "this field", whole = false } = d.options;
  d.ms = scaled ? d.writtenMs / ctx.timescale : d.writtenMs;
  if (!scaled) return;
  const minWritten = resolutionMs * ctx.timescale;
  if (d.ms < resolutionMs && d.writtenMs > 0) {
    ctx.problems.push(
      doc.problem(path, `${d.text} at timescale ${ctx.timescale} is ${formatMs(d.ms)}, below what ${mechanism} can resolve (${formatMs(resolutionMs)}); ` +
        `write at least ${formatMs(minWritten)} in \`${pathToString(path)}\`, or lower the timescale to ${+(d.writtenMs / resolutionMs).toFixed(3)} or less`),
    );
  } else if (whole && d.ms % resolutionMs !== 0) {
    ctx.problems.push(
      doc.problem(path, `${d.text} at timescale ${ctx.timescale} is ${formatMs(d.ms)}, but ${mechanism} counts whole ${formatMs(resolutionMs)} steps; ` +
        `write a multiple of ${formatMs(minWritten)} in \`${pathToString(path)}\``),
    );
  } else if (!whole && d.ms % 1 !== 0) {
    d.ms = Math.round(d.ms);
  }
}
