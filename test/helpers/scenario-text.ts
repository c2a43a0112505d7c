/** Writes a scenario (and fixtures) to a temporary folder and plans it, for tests of bad input. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, type InputProblem } from "../../harness/errors.ts";
import { planScenarioFile, type ScenarioPlan } from "../../harness/plan/plan.ts";

export function writeScenario(yaml: string, fixtures: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "netrepro-test-"));
  const file = join(dir, "case.yaml");
  writeFileSync(file, yaml);
  for (const [name, content] of Object.entries(fixtures)) writeFileSync(join(dir, name), content);
  return file;
}

export function planText(yaml: string, fixtures: Record<string, string> = {}): ScenarioPlan {
  return planScenarioFile(writeScenario(yaml, fixtures), { displayName: "case.yaml" });
}

/** The problems planning reports; fails when planning succeeds. */
export function problemsOf(yaml: string, fixtures: Record<string, string> = {}): InputProblem[] {
  try {
    planText(yaml, fixtures);
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  throw new Error("expected the scenario to be rejected, but it planned");
}

/** A small valid scenario; tests replace parts of it. */
export const VALID = `version: 1
name: sample
title: A sample
incident:
  source: a test
  summary: nothing happened
timescale: 100
params:
  code: 7
components:
  backend:
    kind: tls-backend
    listeners:
      - { port: 8443, mode: tls }
  client:
    kind: toolbox
steps:
  - id: hello
    run: exec
    in: client
    command: exit \${code}
  - sleep: 600s
symptoms:
  - kind: exit-code
    step: hello
    equals: 7
variants:
  bug:
    description: the bug
    outcome: reproduces
  fix:
    description: the fix
    outcome: fixed
    params: { code: 0 }
`;
