/** The CLI as a user meets it: exit codes, messages, a failing variant, Ctrl-C, a missing engine. */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import { engine } from "../harness/runtime/docker.ts";
import { REPO_ROOT } from "../harness/runtime/images.ts";
import { leftovers, sweep } from "../harness/runtime/sweep.ts";
import { VALID, writeScenario } from "./helpers/scenario-text.ts";

const CLI = join(REPO_ROOT, "harness", "cli.ts");
const HAPROXY = join(REPO_ROOT, "scenarios", "haproxy-server-state-file-stale-port");
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, reject: false, env: { ...env, NO_COLOR: "1" } });

describe("bad input", () => {
  test("validate: file:line:col, field, expected and found; exit 2", async () => {
    const file = writeScenario(VALID.replace("kind: toolbox", "kind: toolbx"));
    const r = await cli(["validate", file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/case\.yaml:16:11: components\.client\.kind: unknown kind the string "toolbx"; expected one of haproxy, tls-backend, toolbox/);
    expect(r.stderr).toMatch(/nothing was started/);
  });

  test("run: rejected before the engine is contacted", async () => {
    const file = writeScenario(VALID.replace("sleep: 600s", "sleep: soon"));
    const r = await cli(["run", file], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/steps\[1\]\.sleep: expected a duration/);
  });

  test("unknown variant, bad --set and unknown command", async () => {
    expect((await cli(["run", HAPROXY, "--variant", "nope"])).stderr).toMatch(/no variant named nope; variants: reload, restart, rename/);
    const set = await cli(["run", HAPROXY, "--set", "colour=blue"]);
    expect(set.exitCode).toBe(2);
    expect(set.stderr).toMatch(/--set colour: the scenario declares no such param; declared: server_name, apply/);
    expect((await cli(["frobnicate"])).exitCode).toBe(2);
  });
});

test("a missing engine fails loudly with exit 3", async () => {
  const r = await cli(["run", HAPROXY, "--variant", "reload"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
  expect(r.exitCode).toBe(3);
  expect(r.stderr).toMatch(/no Docker engine answers at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:1/);
});

test("a buggy variant whose bug no longer reproduces fails, saying expected, got and where to look", async () => {
  // The fix (a new server name) applied to the variant that claims the bug reproduces.
  const r = await cli(["run", HAPROXY, "--variant", "reload", "--set", "server_name=web-pages-01-proxyv2", "--artifacts", "artifacts/test"]);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/✗ symptom: the running server still has the old port\n\s+expected: server pages_https\/web-pages-01-proxyv2 has port 1443\n\s+got:\s+pages_https\/web-pages-01-proxyv2 backend:2443/);
  expect(r.stderr).toMatch(/✗ symptom: the client's TLS handshake fails \(curl exit 35\)\n\s+expected: exit 35\n\s+got:\s+exit 0/);
  expect(r.stderr).toMatch(/evidence: .*artifacts\/test\/nr-haproxy-[a-z0-9-]+\/steps\/07-request\.json/);
  expect(r.stderr).toMatch(/written:\s+scenarios\/haproxy-server-state-file-stale-port\/scenario\.yaml:\d+/);
  expect(r.stderr).toMatch(/did not happen: the bug no longer reproduces/);
  expect(r.stderr).toMatch(/0 passed, 1 failed/);
});

test("Ctrl-C mid-run tears everything down and exits 130", async () => {
  const suite = `sigint-${randomBytes(4).toString("hex")}`;
  const mine = (labels: Record<string, string> | undefined) => labels?.["netrepro.suite"] === suite;
  const child = execa(process.execPath, [CLI, "run", HAPROXY, "--variant", "reload", "--artifacts", "artifacts/test"], {
    cwd: REPO_ROOT,
    reject: false,
    env: { NETREPRO_SUITE: suite },
  });
  const deadline = Date.now() + 60_000;
  while ((await leftovers(mine)).containers.length === 0) {
    if (Date.now() > deadline) throw new Error("the run never started a container");
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGINT");
  const r = await child;
  expect(r.exitCode).toBe(130);
  expect(r.stderr).toMatch(/SIGINT: tearing down 1 run/);
  expect(await leftovers(mine)).toEqual({ containers: [], networks: [], volumes: [] });
});

test("resources of a dead run are swept at the next start", async () => {
  const { docker } = await engine();
  const runId = `nr-dead-${randomBytes(3).toString("hex")}`;
  const net = await docker.createNetwork({
    Name: runId,
    Labels: { "netrepro.run": runId, "netrepro.host": hostname(), "netrepro.pid": "2147483646", "netrepro.started": "1" },
  });
  const live = await docker.createNetwork({
    Name: `${runId}-live`,
    Labels: { "netrepro.run": `${runId}-live`, "netrepro.host": hostname(), "netrepro.pid": String(process.pid), "netrepro.started": "1" },
  });
  try {
    await sweep();
    const left = await leftovers((l) => l?.["netrepro.run"]?.startsWith(runId) ?? false);
    expect(left.networks).toEqual([`${runId}-live`]);
  } finally {
    await net.remove().catch(() => {});
    await live.remove().catch(() => {});
  }
});

test("the missing-keepalive bug variant fails once the runner sends keepalives", async () => {
  const r = await cli([
    "run", "scenarios/gcp-idle-timeout-missing-tcp-keepalives", "--variant", "no-keepalive",
    "--set", "keepalive=300s", "--set", "keepalive_interval=300s", "--artifacts", "artifacts/test",
  ]);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/✗ symptom: the line after the gap never reaches the runner\n\s+expected: stdout of step `attach` lacks "Hello world!"\n\s+got:\s+line 2: ".* stdout Hello world!"/);
  expect(r.stderr).toMatch(/✗ expect: no keepalive probe from the runner crosses the firewall\n\s+expected: ≤ 0 keepalive segments from the client/);
  expect(r.stderr).toMatch(/evidence: .*captures\/firewall\.pcap/);
}, 120_000);

test("`new` writes a scenario that validates", async () => {
  const dir = mkdtempSync(join(tmpdir(), "netrepro-new-"));
  const made = await cli(["new", "my-failure-mode", "--dir", dir]);
  expect(made.exitCode, made.stderr).toBe(0);
  const r = await cli(["validate", join(dir, "my-failure-mode")]);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/my-failure-mode \(bug: reproduces, fix: fixed\)/);
  expect((await cli(["new", "Bad Name", "--dir", dir])).exitCode).toBe(2);
});
