/**
 * Durations as scenario files write them ("600s", "10m", "250ms", "1h30m") and their scaling.
 * Durations in a scenario are incident time unless their field says otherwise; the plan divides
 * them by the scenario's timescale.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

export const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(ms|s|m|h))+$";

/** Parses a duration; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
}

export function formatMs(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(3)}s`;
  return ms < 1 ? `${+ms.toPrecision(3)}ms` : `${+ms.toFixed(3)}ms`;
}
