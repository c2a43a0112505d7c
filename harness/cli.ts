#!/usr/bin/env node
/**
 * netrepro: run | validate | list | new | images | clean | schema
 * Exit codes: 0 all expectations met, 1 an expectation failed, 2 bad input, 3 the environment failed.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { components } from "./components/index.ts";
import { drivers } from "./drivers/index.ts";
import { errorMessage, exitCodeOf, ExitCode, InputError, type ExitCodeValue } from "./errors.ts";
import { expectations } from "./expect/index.ts";
import { faults } from "./faults/index.ts";
import { planScenarioFile, type ScenarioPlan, type VariantPlan } from "./plan/plan.ts";
import type { Params } from "./plan/template.ts";
import { consoleReporter } from "./report/console.ts";
import { failureReport, seconds } from "./report/format.ts";
import { junitXml } from "./report/junit.ts";
import { runVariant, type VariantResult } from "./runner.ts";
import { displayPath, findScenarioFiles } from "./scenarios.ts";
import { ensureImages, imageNames, imageStatus, REPO_ROOT } from "./runtime/images.ts";
import { installSignalHandlers } from "./runtime/run.ts";
import { leftovers, sweep } from "./runtime/sweep.ts";
import { JSON_SCHEMA_PATH, jsonSchema, REFERENCE_PATH, referenceMarkdown } from "./schema/reference.ts";

const USAGE = `netrepro: reproduce network failure modes with real software

usage:
  netrepro run [paths...] [--variant NAME]... [--set PARAM=VALUE]... [--jobs N]
               [--artifacts DIR] [--junit FILE] [--json FILE] [--verbose]
  netrepro validate [paths...]         check scenario files; starts nothing
  netrepro list [paths...]             scenarios and their variants
  netrepro list kinds                  components, actions, drivers, faults, expectations
  netrepro new NAME [--dir DIR]        a new scenario folder under scenarios/ (or DIR)
  netrepro images [build|status] [--force] [--no-cache]
  netrepro clean [--all]               remove what dead runs left (--all: every netrepro resource)
  netrepro schema [--write]            the JSON Schema and format reference, generated

paths default to scenarios/. Exit codes: 0 met, 1 an expectation failed, 2 bad input, 3 environment.`;

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

function planAll(paths: string[], overrides: Params = {}): ScenarioPlan[] {
  const files = findScenarioFiles(paths.length ? paths : [join(REPO_ROOT, "scenarios")]);
  const problems: InputError["problems"] = [];
  const plans: ScenarioPlan[] = [];
  for (const f of files) {
    try {
      plans.push(planScenarioFile(f, { displayName: displayPath(f), overrides }));
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new InputError(problems);
  return plans;
}

function parseSet(values: string[] = []): Params {
  const params: Params = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new InputError([{ pos: { file: "--set", line: 1, col: 1 }, path: "", message: `expected PARAM=VALUE, found ${JSON.stringify(v)}` }]);
    const raw = v.slice(eq + 1);
    params[v.slice(0, eq)] = raw === "true" ? true : raw === "false" ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return params;
}

async function pool<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

async function cmdRun(argv: string[]): Promise<ExitCodeValue> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      variant: { type: "string", multiple: true },
      set: { type: "string", multiple: true },
      jobs: { type: "string", default: "1" },
      artifacts: { type: "string", default: "artifacts" },
      junit: { type: "string" },
      json: { type: "string" },
      verbose: { type: "boolean", default: false },
    },
  });
  const plans = planAll(positionals, parseSet(values.set));
  let variants: VariantPlan[] = plans.flatMap((p) => p.variants);
  if (values.variant?.length) {
    const wanted = new Set(values.variant);
    const known = new Set(variants.map((v) => v.variant.name));
    const unknown = [...wanted].filter((w) => !known.has(w));
    if (unknown.length) {
      throw new InputError([{ pos: { file: "--variant", line: 1, col: 1 }, path: "", message: `no variant named ${unknown.join(", ")}; variants: ${[...known].join(", ")}` }]);
    }
    variants = variants.filter((v) => wanted.has(v.variant.name));
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new InputError([{ pos: { file: "--jobs", line: 1, col: 1 }, path: "", message: `expected a whole number ≥ 1, found ${values.jobs}` }]);
  }
  installSignalHandlers();
  const swept = await sweep();
  if (swept.containers + swept.networks + swept.volumes > 0) {
    err(`swept ${swept.containers} containers, ${swept.networks} networks, ${swept.volumes} volumes left by dead runs\n`);
  }
  const images = [...new Set(variants.flatMap((v) => v.images))];
  await ensureImages(images, { log: (l) => err(`  · ${l}\n`) });

  const artifactsRoot = resolve(values.artifacts);
  const started = Date.now();
  err(`running ${variants.length} variant(s) of ${plans.length} scenario(s), ${jobs} at a time; artifacts in ${displayPath(artifactsRoot)}\n`);
  const reporter = consoleReporter(err, values.verbose);
  const results: VariantResult[] = await pool(variants, jobs, (v) => runVariant(v, { artifactsRoot, events: reporter }));

  if (values.junit) writeFileSync(values.junit, junitXml(results));
  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
  const failed = results.filter((r) => r.status === "failed");
  err(`\n${results.length - failed.length} passed, ${failed.length} failed in ${seconds(Date.now() - started)}\n`);
  for (const r of failed) err(`\n${failureReport(r)}\n`);
  if (failed.some((r) => r.exitCode === ExitCode.environment)) return ExitCode.environment;
  return failed.length ? ExitCode.failed : ExitCode.ok;
}

function cmdValidate(argv: string[]): ExitCodeValue {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const plans = planAll(positionals);
  for (const p of plans) out(`ok  ${p.file}: ${p.name} (${p.variants.map((v) => `${v.variant.name}: ${v.variant.outcome}`).join(", ")})\n`);
  return ExitCode.ok;
}

function cmdList(argv: string[]): ExitCodeValue {
  if (argv[0] === "kinds") {
    out("components:\n");
    for (const c of components) {
      out(`  ${c.kind.padEnd(16)} ${c.description}\n`);
      for (const [a, def] of Object.entries(c.actions)) out(`      do: ${a.padEnd(14)} ${def.description}\n`);
    }
    out("drivers:\n");
    for (const d of drivers) out(`  ${d.kind.padEnd(16)} ${d.description}\n`);
    out("faults:\n");
    for (const f of faults) out(`  ${f.kind.padEnd(16)} ${f.description}\n`);
    if (faults.length === 0) out("  (none yet)\n");
    out("expectations:\n");
    for (const e of expectations) out(`  ${e.kind.padEnd(20)} ${e.description}\n`);
    return ExitCode.ok;
  }
  const plans = planAll(argv);
  for (const p of plans) {
    out(`${p.name}  ${p.title}\n  ${p.file}\n`);
    for (const v of p.variants) out(`    ${v.variant.name.padEnd(14)} ${v.variant.outcome.padEnd(11)} ${v.variant.description}\n`);
  }
  return ExitCode.ok;
}

function cmdNew(argv: string[]): ExitCodeValue {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { dir: { type: "string" } } });
  const name = positionals[0];
  if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new InputError([{ pos: { file: "new", line: 1, col: 1 }, path: "", message: `expected a scenario name of lower-case letters, digits and dashes, found ${JSON.stringify(name ?? "")}` }]);
  }
  const dir = join(values.dir ? resolve(values.dir) : join(REPO_ROOT, "scenarios"), name);
  if (existsSync(dir)) throw new InputError([{ pos: { file: dir, line: 1, col: 1 }, path: "", message: "already exists" }]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "scenario.yaml"),
    `# yaml-language-server: $schema=${relative(dir, join(REPO_ROOT, JSON_SCHEMA_PATH))}
version: 1
name: ${name}
title: One line that names the failure
incident:
  source: Where the incident was written up
  summary: >-
    What went wrong, what was observed, and what fixed it.
timescale: 1
params:
  greeting: hello
components:
  backend:
    kind: tls-backend
    listeners:
      - { port: 8443, mode: tls }
  client:
    kind: toolbox
steps:
  - id: request
    run: exec
    in: client
    command: curl -sk --max-time 5 https://backend:8443/ && echo \${greeting}
symptoms:
  - kind: exit-code
    step: request
    not: 0
variants:
  bug:
    description: The set-up that fails.
    outcome: reproduces
    params: { greeting: hello }
  fix:
    description: The set-up with the fix applied.
    outcome: fixed
`,
  );
  out(`created ${displayPath(join(dir, "scenario.yaml"))}; check it with: netrepro validate ${displayPath(dir)}\n`);
  return ExitCode.ok;
}

async function cmdImages(argv: string[]): Promise<ExitCodeValue> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      force: { type: "boolean", default: false },
      "no-cache": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
  });
  const sub = positionals[0] ?? "status";
  if (sub === "build") {
    const started = Date.now();
    await ensureImages(positionals.slice(1).length ? positionals.slice(1) : imageNames(), {
      force: values.force,
      noCache: values["no-cache"],
      log: (l) => err(`[netrepro images] ${l}\n`),
    });
    if (!values.quiet) err(`[netrepro images] ready in ${Date.now() - started} ms\n`);
    return ExitCode.ok;
  }
  if (sub === "status") {
    for (const s of await imageStatus()) out(`${s.present ? "present" : "missing"}  ${s.tag}\n`);
    return ExitCode.ok;
  }
  throw new InputError([{ pos: { file: "images", line: 1, col: 1 }, path: "", message: `unknown subcommand ${sub}; expected build or status` }]);
}

async function cmdClean(argv: string[]): Promise<ExitCodeValue> {
  const { values } = parseArgs({ args: argv, options: { all: { type: "boolean", default: false } } });
  const r = await sweep(values.all ? () => true : undefined);
  out(`removed ${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes\n`);
  const left = await leftovers();
  if (left.containers.length || left.networks.length) {
    out(`still there (live runs): ${[...left.containers, ...left.networks].join(", ")}\n`);
  }
  return ExitCode.ok;
}

function cmdSchema(argv: string[]): ExitCodeValue {
  const { values } = parseArgs({ args: argv, options: { write: { type: "boolean", default: false } } });
  if (values.write) {
    writeFileSync(join(REPO_ROOT, JSON_SCHEMA_PATH), jsonSchema());
    mkdirSync(join(REPO_ROOT, "docs"), { recursive: true });
    writeFileSync(join(REPO_ROOT, REFERENCE_PATH), referenceMarkdown());
    out(`wrote ${JSON_SCHEMA_PATH} and ${REFERENCE_PATH}\n`);
  } else {
    out(jsonSchema());
  }
  return ExitCode.ok;
}

export async function main(argv: string[]): Promise<ExitCodeValue> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "run":
        return await cmdRun(rest);
      case "validate":
        return cmdValidate(rest);
      case "list":
        return cmdList(rest);
      case "new":
        return cmdNew(rest);
      case "images":
        return await cmdImages(rest);
      case "clean":
        return await cmdClean(rest);
      case "schema":
        return cmdSchema(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out(`${USAGE}\n`);
        return cmd === undefined ? ExitCode.badInput : ExitCode.ok;
      default:
        err(`netrepro: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}\n`);
        return ExitCode.badInput;
    }
  } catch (e) {
    if (e instanceof InputError) {
      err(`${e.message}\n${e.problems.length} problem(s); nothing was started.\n`);
    } else if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      err(`netrepro: ${errorMessage(e)}\n\n${USAGE}\n`);
      return ExitCode.badInput;
    } else {
      err(`netrepro: ${errorMessage(e)}\n`);
    }
    return exitCodeOf(e);
  }
}

const code = await main(process.argv.slice(2));
// Engine sockets and log streams may linger; the verdict is in, so leave now.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
