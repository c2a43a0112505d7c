/** Text matching shared by the expectations that read output and logs. */
import { isRegexPattern, toRegExp } from "../schema/types.ts";

export interface TextCheck {
  contains?: string | undefined;
  lacks?: string | undefined;
}

export function describeCheck(c: TextCheck): string {
  if (c.contains !== undefined) return isRegexPattern(c.contains) ? `matches ${c.contains}` : `contains ${JSON.stringify(c.contains)}`;
  return isRegexPattern(c.lacks!) ? `does not match ${c.lacks}` : `lacks ${JSON.stringify(c.lacks)}`;
}

/** Checks lines of text; returns whether the check held and the first matching line (1-based). */
export function checkLines(lines: readonly string[], c: TextCheck): { ok: boolean; line?: number; text?: string } {
  const re = toRegExp((c.contains ?? c.lacks)!);
  const whole = lines.join("\n");
  // A pattern may span lines; find the line where the first match starts.
  const m = re.exec(whole);
  let line: number | undefined;
  if (m) line = whole.slice(0, m.index).split("\n").length;
  const found = m !== null;
  const ok = c.contains !== undefined ? found : !found;
  return line === undefined ? { ok } : { ok, line, text: lines[line - 1] ?? "" };
}

export function excerpt(text: string, max = 200): string {
  const t = text.trim();
  if (t === "") return "(empty)";
  const oneLine = t.length > max ? `${t.slice(0, max)}…` : t;
  return JSON.stringify(oneLine);
}
