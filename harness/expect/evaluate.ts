/** Evaluating a variant's expectations against what was observed, each with its role and source. */
import { errorMessage, ScenarioRuntimeError } from "../errors.ts";
import type { Timeline } from "../observe/timeline.ts";
import type { PlannedCheck, VariantPlan } from "../plan/plan.ts";
import { resolveRuntime } from "../plan/template.ts";
import type { ComponentInstance, ExpectContext, StepObservation, Verdict } from "../registry.ts";
import { applyRole } from "./verdict.ts";

export interface CheckResult extends Verdict {
  kind: string;
  role: PlannedCheck["role"];
  negated: boolean;
  label: string;
  because?: string;
  /** scenario.yaml:line where the expectation is written. */
  source: string;
}

export function evaluateChecks(
  plan: VariantPlan,
  timeline: Timeline,
  instances: ReadonlyMap<string, ComponentInstance>,
  observations: ReadonlyMap<string, StepObservation>,
  lookup: (c: string, a: string) => string,
  onCheck?: (check: CheckResult) => void,
): CheckResult[] {
  const ctx: ExpectContext = {
    step(id) {
      const obs = observations.get(id);
      if (!obs) throw new ScenarioRuntimeError(`step \`${id}\` did not run`);
      return obs;
    },
    component(name) {
      const inst = instances.get(name);
      if (!inst) throw new ScenarioRuntimeError(`component \`${name}\` did not start`);
      return inst;
    },
    observe(component, observable) {
      const inst = this.component(component);
      const def = plan.components.find((c) => c.name === component)!.def;
      return def.observables[observable]!.read(inst);
    },
    logArtifact: (component) => `components/${component}.log`,
  };
  return plan.checks.map((c) => {
    let v: Verdict;
    try {
      v = c.def.evaluate(resolveRuntime(c.args, lookup), ctx);
    } catch (err) {
      v = { ok: false, inconclusive: true, expected: c.label, got: `could not be evaluated: ${errorMessage(err)}`, evidence: [] };
    }
    const final = applyRole(v, c.negate);
    const ok = final.ok;
    const result: CheckResult = {
      ...final,
      kind: c.def.kind,
      role: c.role,
      negated: c.negate,
      label: c.label,
      ...(c.because ? { because: c.because } : {}),
      source: `${c.pos.file}:${c.pos.line}`,
    };
    timeline.add("expect", c.role, `${ok ? "met" : "NOT met"}: ${result.expected} — got ${result.got}`);
    onCheck?.(result);
    return result;
  });
}
