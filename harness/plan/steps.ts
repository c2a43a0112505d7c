/** One step of the timeline: which kind it is (do, run, fault, sleep, wait, until), validated. */
import type { z } from "zod";
import type { InputProblem } from "../errors.ts";
import { didYouMean, toProblems } from "../schema/issues.ts";
import {
  ActionStepSchema,
  FaultStepSchema,
  RunStepSchema,
  SleepStepSchema,
  STEP_KEYS,
  UntilStepSchema,
  WaitStepSchema,
} from "../schema/scenario.ts";
import type { Path, SourceDoc } from "../schema/source.ts";
import { ComponentRef } from "../schema/types.ts";
import { DRIVERS, FAULTS } from "./kinds.ts";
import type { PlannedComponent, PlannedStep } from "./types.ts";

export function planStep(
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
