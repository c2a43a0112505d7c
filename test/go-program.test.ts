/**
 * go-program: its fields as a scenario writes them (planning, errors with positions), the
 * container it asks for, and the reverse-proxy scenario failing once its bug is fixed.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import dockerRegistry from "../harness/components/docker-registry.ts";
import dockerDaemon from "../harness/components/docker-daemon.ts";
import goProgram, { checkModules, goProgramOf, readyCheck, type GoProgramSpec } from "../harness/components/go-program.ts";
import { formatProblem, InputError } from "../harness/errors.ts";
import { planScenarioFile, type ScenarioPlan } from "../harness/plan/plan.ts";
import { REPO_ROOT } from "../harness/runtime/images.ts";

const noCertificates = (): never => {
  throw new Error("no certificates in this test");
};

const SCENARIO = (components: string) => `version: 1
name: go-sample
title: A Go program
incident:
  source: a test
  summary: nothing happened
timescale: 2
params:
  wt: 10s
  flag: on
components:
${components}
  client:
    kind: toolbox
steps:
  - id: hello
    run: exec
    in: client
    command: "true"
symptoms:
  - kind: exit-code
    step: hello
    equals: 1
variants:
  bug:
    description: the bug
    outcome: reproduces
  fix:
    description: the fix
    outcome: fixed
    params: { wt: 0s, flag: off }
`;

const SERVICE = `  svc:
    kind: go-program
    source: prog
    go: 1.23
    ports: [8000]
    durations: { write-timeout: "\${wt}", interval: 1s }
    args: [-listen=:8000, "-mode=\${flag}", 7]
    env: { GODEBUG: "http2debug=1" }`;

function plan(components: string, withSource = true): ScenarioPlan {
  const dir = mkdtempSync(join(tmpdir(), "netrepro-go-"));
  if (withSource) {
    mkdirSync(join(dir, "prog"));
    writeFileSync(join(dir, "prog", "main.go"), "package main\n\nfunc main() {}\n");
  }
  const file = join(dir, "case.yaml");
  writeFileSync(file, SCENARIO(components));
  return planScenarioFile(file, { displayName: "case.yaml" });
}

function problems(components: string, withSource = true): string[] {
  try {
    plan(components, withSource);
  } catch (err) {
    if (err instanceof InputError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error("expected the scenario to be rejected, but it planned");
}

const specOf = (p: ScenarioPlan, variant: number, name = "svc") =>
  p.variants[variant]!.components.find((c) => c.name === name)!.spec as unknown as GoProgramSpec;

describe("go-program fields", () => {
  test("duration flags are scaled, params reach the arguments, a bare 1.23 is Go 1.23", () => {
    const p = plan(SERVICE);
    const bug = specOf(p, 0);
    const fix = specOf(p, 1);
    expect(bug.go).toBe("1.23");
    const ctx = { runId: "r", name: "svc", scenarioDir: "/x", fixture: () => "", certificate: noCertificates, prepared: "netrepro/go-x:1" };
    const spec = goProgram.container(bug as never, ctx);
    expect(spec.image).toBe("netrepro/go-x:1");
    expect(spec.command).toEqual(["-write-timeout=5000ms", "-interval=500ms", "-listen=:8000", "-mode=on", "7"]);
    expect(spec.env).toEqual({ GODEBUG: "http2debug=1" });
    expect(goProgram.container(fix as never, ctx).command).toEqual(["-write-timeout=0ms", "-interval=500ms", "-listen=:8000", "-mode=off", "7"]);
    expect(p.variants[0]!.images).toEqual(["golang", "tools"]);
  });

  test("readiness: a log line, a TCP port, an HTTP path, the first port by default, nothing for a command", () => {
    const base = { source: { path: "p" }, go: "1.19", role: "service" } as unknown as GoProgramSpec;
    expect(readyCheck({ ...base, ready: { log: "/listening on :\\d+/" } })).toEqual({ log: /listening on :\d+/ });
    expect(readyCheck({ ...base, ready: { tcp: 8080 } })).toEqual({ exec: ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"] });
    expect(readyCheck({ ...base, ready: { http: "/healthz", port: 9000 } })).toEqual({
      exec: ["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:9000/healthz"],
    });
    expect(readyCheck({ ...base, ports: [7000, 7001] })).toEqual({ exec: ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/7000"] });
    expect(readyCheck(base)).toEqual({ none: true });
    expect(readyCheck({ ...base, role: "command" })).toEqual({ none: true });
  });

  test("a command idles so that exec steps can run it", () => {
    const p = plan("  cmd:\n    kind: go-program\n    source: prog\n    role: command");
    const spec = goProgram.container(specOf(p, 0, "cmd") as never, { runId: "r", name: "cmd", scenarioDir: "/x", fixture: () => "", certificate: noCertificates, prepared: "img" });
    expect(spec).toMatchObject({ image: "img", entrypoint: ["sleep"], command: ["infinity"], ready: { none: true } });
  });

  test("the image is named after the folder holding the sources, the binary and the Go version", () => {
    const p = plan(SERVICE);
    const prog = goProgramOf(specOf(p, 0), "/ignored");
    expect(prog).toMatchObject({ go: "1.23", binary: "prog" });
    expect(prog.name).toMatch(/^go-netrepro-go-[a-z0-9]+-prog-go123$/);
    const shared = { source: { path: "../other-scenario/proxy", absPath: "" }, go: "1.19", role: "service" } as unknown as GoProgramSpec;
    expect(goProgramOf(shared, "/repo/scenarios/this-one")).toMatchObject({ name: "go-other-scenario-proxy-go119", dir: "/repo/scenarios/other-scenario/proxy" });
  });

  test("bad fields are reported with file:line:col", () => {
    expect(problems(SERVICE.replace("go: 1.23", 'go: "1.21"'))).toContainEqual(
      expect.stringMatching(/^case\.yaml:\d+:\d+: components\.svc\.go: .*"1\.19", "1\.23"/),
    );
    expect(problems(SERVICE, false)).toContainEqual(
      expect.stringMatching(/^case\.yaml:14:13: components\.svc\.source: folder `prog` not found beside the scenario/),
    );
    expect(problems(SERVICE.replace("interval: 1s", "interval: 1 second"))).toContainEqual(
      expect.stringMatching(/^case\.yaml:17:\d+: components\.svc\.durations\.interval: expected a duration/),
    );
    expect(problems(SERVICE.replace("interval: 1s", "interval: 1ms"))).toContainEqual(
      expect.stringMatching(/components\.svc\.durations\.interval: 1ms at timescale 2 is 0\.5ms, below what/),
    );
    expect(problems("  cmd:\n    kind: go-program\n    source: prog\n    role: command\n    args: [-x]")).toContainEqual(
      expect.stringMatching(/components\.cmd: .*a `command` program is run by `exec` steps/),
    );
  });

  test("a go.mod that requires modules needs its go.sum", () => {
    const dir = mkdtempSync(join(tmpdir(), "netrepro-gomod-"));
    writeFileSync(join(dir, "go.mod"), "module example.com/x\n\ngo 1.19\n\nrequire golang.org/x/sync v0.7.0\n");
    expect(() => checkModules(dir)).toThrow(/requires modules but there is no go\.sum/);
    writeFileSync(join(dir, "go.sum"), "golang.org/x/sync v0.7.0 h1:x=\n");
    expect(() => checkModules(dir)).not.toThrow();
  });
});

describe("docker-daemon (plain API, images only) and docker-registry", () => {
  const ctx = { runId: "r", name: "d", scenarioDir: "/x", fixture: () => "", certificate: noCertificates };
  test("a daemon for image operations listens in plain HTTP, has no bridge, trusts the named plain-HTTP registries", () => {
    const spec = dockerDaemon.container(dockerDaemon.schema.parse({ api: "plain", containers: false, insecureRegistries: ["registry:5000"] }) as never, ctx);
    expect(spec).toMatchObject({
      image: "dind",
      env: { DIND_API: "plain", DIND_CONTAINERS: "0", DIND_INSECURE_REGISTRIES: "registry:5000" },
      ready: { log: /^netrepro-dind: ready/ },
    });
    expect(spec.fallback?.spec).toMatchObject({ privileged: false, capAdd: ["ALL"], capDrop: ["SYS_RESOURCE"] });
  });
  test("docker-registry is ready when it listens on :5000", () => {
    const spec = dockerRegistry.container({} as never, ctx);
    expect(spec.image).toBe("registry");
    expect("log" in spec.ready && spec.ready.log.test('level=info msg="listening on [::]:5000"')).toBe(true);
  });
});

test("the reverse proxy's buggy variant fails once WriteTimeout is gone", async () => {
  const r = await execa(
    process.execPath,
    [join(REPO_ROOT, "harness", "cli.ts"), "run", "scenarios/go-reverse-proxy-suppressed-timeout", "--variant", "download", "--set", "write_timeout=0s", "--artifacts", "artifacts/test"],
    { cwd: REPO_ROOT, reject: false, env: { NO_COLOR: "1" } },
  );
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/✗ symptom: curl's transfer through the proxy fails\n\s+expected: exit other than 0\n\s+got:\s+exit 0/);
  expect(r.stderr).toMatch(/✗ symptom: the upstream's request context is canceled\n\s+expected: .*\n\s+got:\s+.*stream ended after 20 of 20 lines/);
  expect(r.stderr).toMatch(/✗ expect: the middleware never logs the end of the request/);
  expect(r.stderr).toMatch(/did not happen: the bug no longer reproduces/);
});
