/** Finding scenario files: a file as given, or every scenario.yaml under a folder. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { InputError } from "./errors.ts";

export function findScenarioFiles(paths: readonly string[], cwd = process.cwd()): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) {
      throw new InputError([{ pos: { file: p, line: 1, col: 1 }, path: "", message: "no such file or folder" }]);
    }
    if (statSync(abs).isFile()) {
      out.push(abs);
      continue;
    }
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.name === "node_modules" || e.name.startsWith(".")) continue;
        const q = join(d, e.name);
        if (e.isDirectory()) walk(q);
        else if (e.name === "scenario.yaml") found.push(q);
      }
    };
    walk(abs);
    if (found.length === 0) {
      throw new InputError([{ pos: { file: p, line: 1, col: 1 }, path: "", message: "no scenario.yaml under this folder" }]);
    }
    out.push(...found);
  }
  return [...new Set(out)];
}

export function displayPath(abs: string, cwd = process.cwd()): string {
  const rel = relative(cwd, abs);
  return rel.startsWith("..") ? abs : rel;
}
