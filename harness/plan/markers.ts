/**
 * The checks that need the whole variant: every duration scaled and checked against what its
 * mechanism can resolve, every component, step, certificate and file reference resolved, and the
 * idle-fidelity rules between idle limits, gaps and the fixed timers of real software.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { components as componentDefs } from "../components/index.ts";
import { formatMs } from "../duration.ts";
import type { InputProblem } from "../errors.ts";
import { didYouMean } from "../schema/issues.ts";
import { pathToString, type Path, type SourceDoc } from "../schema/source.ts";
import { CertificateRef, ComponentRef, Duration, FolderRef, PathRef, StepRef } from "../schema/types.ts";
import type { PlannedComponent, PlannedStep } from "./types.ts";

export interface MarkerContext {
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
export function checkIdleFidelity(doc: SourceDoc, ctx: MarkerContext) {
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

export function checkMarkers(doc: SourceDoc, value: unknown, path: Path, ctx: MarkerContext): void {
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
