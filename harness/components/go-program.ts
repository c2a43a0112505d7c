/**
 * go-program: a Go program from the scenario's folder, built inside a container (the host needs
 * no Go) with the Go version the scenario names, and run with the scenario's flags and
 * environment. Its stdout and stderr are the container's, so `log` expectations read them apart.
 * The image is cached by the hash of the sources and the Go version.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { ScenarioRuntimeError } from "../errors.ts";
import { defineComponent } from "../registry.ts";
import { GO_VERSIONS, goProgramImage, type GoProgram, type GoVersion } from "../runtime/go-build.ts";
import type { ContainerSpec, ReadyCheck } from "../runtime/types.ts";
import { folderRef, incidentDuration, textPattern, toRegExp, type Duration, type FolderRef } from "../schema/types.ts";

const port = z.number().int().min(1).max(65535);
const scalarString = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** "1.19" or "1.23"; a YAML number (1.19 unquoted) is taken as the same version. */
const goVersion = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.enum(GO_VERSIONS, { message: `expected a Go version this harness has: ${GO_VERSIONS.map((v) => `"${v}"`).join(", ")}` }));

export const readySchema = z
  .union([
    z.strictObject({ log: textPattern.describe("a line the program prints (stdout or stderr) when it is ready") }),
    z.strictObject({ tcp: port.describe("a port that accepts a TCP connection on the container's loopback") }),
    z.strictObject({
      http: z.string().regex(/^\//, { message: "expected a path starting with /" }).describe("a path that answers with a 2xx or 3xx status"),
      port: port.describe("the port that serves it"),
    }),
    z.strictObject({ none: z.literal(true).describe("ready as soon as the process starts") }),
  ])
  .describe("when the program is ready: `{log: pattern}`, `{tcp: port}`, `{http: /path, port: N}` or `{none: true}`; default: `{tcp: <first port>}` when `ports` are given");

export const ROLES = ["service", "command"] as const;

export const goProgramSchema = z
  .strictObject({
    source: folderRef("the program's folder: a main package, with go.mod and go.sum when it has (pinned) dependencies"),
    package: z.string().min(1).optional().describe("the package to build, relative to `source` (default: the folder itself)"),
    go: goVersion.default("1.19").describe(`the Go version that builds it: ${GO_VERSIONS.map((v) => `"${v}"`).join(" or ")}; default "1.19"`),
    binary: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, { message: "expected lower-case letters, digits and dashes, starting with a letter" })
      .optional()
      .describe("the binary's name in /usr/local/bin, which `exec` steps can run (default: the source folder's name)"),
    role: z
      .enum(ROLES)
      .default("service")
      .describe("service: the container runs the program; command: the container idles and `exec` steps run the program"),
    args: z.array(scalarString).optional().describe("arguments of a service (after the `durations` flags); `${param}` works here"),
    durations: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, { message: "expected a flag name such as write-timeout" }),
        incidentDuration("a duration flag of the program, passed as -<name>=<ms>ms"),
      )
      .optional()
      .describe("duration flags, written in incident time and passed scaled (Go's flag.Duration reads them): `{write-timeout: 10s}` → `-write-timeout=10000ms` at timescale 1"),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), scalarString).optional().describe("environment variables"),
    ports: z.array(port).optional().describe("ports the program listens on (for readiness and for readers; traffic uses the component's name)"),
    ready: readySchema.optional(),
  })
  .refine((s) => s.role === "service" || (s.args === undefined && s.durations === undefined && s.ready === undefined), {
    message: "a `command` program is run by `exec` steps: its arguments go in those steps, and it has no readiness",
  });

export type GoProgramSpec = z.output<typeof goProgramSchema>;

const imageSlug = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");

/**
 * What to build for a component. The image is named after the folder that holds the sources
 * (the scenario's, usually), the binary and the Go version, so scenarios that share a program
 * share its image.
 */
export function goProgramOf(spec: GoProgramSpec, scenarioDir: string): GoProgram {
  const src = (spec.source as FolderRef).absPath || resolve(scenarioDir, spec.source.path);
  const binary = spec.binary ?? imageSlug(basename(src));
  if (!/^[a-z][a-z0-9-]*$/.test(binary)) {
    throw new ScenarioRuntimeError(`go-program: cannot name a binary after the folder \`${basename(src)}\`; give \`binary\``);
  }
  const go = spec.go as GoVersion;
  return {
    name: `go-${imageSlug(basename(dirname(src)))}-${binary}-go${go.replace(".", "")}`,
    dir: src,
    go,
    binary,
    ...(spec.package ? { pkg: spec.package.startsWith(".") ? spec.package : `./${spec.package}` } : {}),
  };
}

/** A go.mod that requires modules needs a go.sum that pins them; say so before a build fails on it. */
export function checkModules(dir: string): void {
  const mod = join(dir, "go.mod");
  if (!existsSync(mod)) return;
  if (/^\s*require\b/m.test(readFileSync(mod, "utf8")) && !existsSync(join(dir, "go.sum"))) {
    throw new ScenarioRuntimeError(
      `${mod} requires modules but there is no go.sum beside it: pin the dependencies (\`go mod tidy\`) and commit go.sum`,
    );
  }
}

export function programArgv(spec: GoProgramSpec): string[] {
  const flags = Object.entries(spec.durations ?? {}).map(([name, d]) => `-${name}=${(d as Duration).ms}ms`);
  return [...flags, ...(spec.args ?? [])];
}

export function readyCheck(spec: GoProgramSpec): ReadyCheck {
  const r = spec.ready;
  if (spec.role === "command") return { none: true };
  if (!r) return spec.ports?.length ? tcpReady(spec.ports[0]!) : { none: true };
  if ("log" in r) return { log: toRegExp(r.log) };
  if ("tcp" in r) return tcpReady(r.tcp);
  if ("http" in r) return { exec: ["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", `http://127.0.0.1:${r.port}${r.http}`] };
  return { none: true };
}

function tcpReady(p: number): ReadyCheck {
  return { exec: ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${p}`] };
}

export default defineComponent({
  kind: "go-program",
  description:
    "A Go program from a folder beside the scenario, built in a container with Go 1.19 or 1.23 (stdlib, or a go.mod " +
    "with pinned dependencies) and cached by the hash of its sources. A `service` runs with the scenario's arguments, " +
    "duration flags (scaled) and environment; a `command` is run by `exec` steps. Its stdout and stderr are its log's two streams.",
  images: ["golang", "tools"],
  schema: goProgramSchema,
  async prepare(spec, ctx) {
    const program = goProgramOf(spec, ctx.scenarioDir);
    checkModules(program.dir);
    // The build's own steps are too much for progress; its start and end are enough.
    return goProgramImage(program, { log: (l) => void (l.startsWith(" ") ? undefined : ctx.log(l)) });
  },
  container(spec, ctx) {
    if (!ctx.prepared) throw new ScenarioRuntimeError(`component \`${ctx.name}\` (go-program): its image was not built`);
    const base: ContainerSpec = {
      image: ctx.prepared,
      ...(spec.env ? { env: spec.env } : {}),
      ready: readyCheck(spec),
    };
    if (spec.role === "command") return { ...base, entrypoint: ["sleep"], command: ["infinity"] };
    return { ...base, command: programArgv(spec) };
  },
  actions: {},
  observables: {},
});
