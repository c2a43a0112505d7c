/** How a verdict counts: symptoms in a `fixed` variant must not hold, and "could not tell" never passes. */
import type { Verdict } from "../registry.ts";

export function applyRole(v: Verdict, negate: boolean): Verdict {
  if (!negate) return v;
  return { ...v, ok: !v.ok && !v.inconclusive, expected: `NOT: ${v.expected}` };
}
