/**
 * The plan: from a scenario file to one runnable plan per variant. Parameters are substituted,
 * every field is validated against the registries, references are checked, durations are scaled
 * by the timescale and checked against what their mechanism can resolve. Any problem is an
 * InputError with file:line:col; no container is started before this succeeds.
 */
import { basename, dirname, resolve } from "node:path";
import { z } from "zod";
import { InputError, type InputProblem } from "../errors.ts";
import { didYouMean, toProblems } from "../schema/issues.ts";
import { paramsSchema, ScenarioSchema, stepEnabled, stepIf } from "../schema/scenario.ts";
import { loadSource, type Path, type SourceDoc } from "../schema/source.ts";
import { ComponentRef, StepRef, type Duration } from "../schema/types.ts";
import { planCertificates } from "./certificates.ts";
import { COMPONENTS, EXPECTATIONS } from "./kinds.ts";
import { checkIdleFidelity, checkMarkers, type MarkerContext } from "./markers.ts";
import { planStep } from "./steps.ts";
import { substituteParams, type Params, type RuntimeNames } from "./template.ts";
import type { PlannedCheck, PlannedComponent, PlannedStep, ScenarioPlan, VariantPlan } from "./types.ts";

export type { PlannedCheck, PlannedComponent, PlannedStep, ScenarioPlan, VariantPlan } from "./types.ts";
export { MIN_IDLE_MARGIN_MS } from "./markers.ts";

export const DEFAULT_NETWORK = "net";
/** The image whose openssl makes the scenario's certificates. */
export const CERTIFICATE_IMAGE = "tools";


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
