/** Expectations against hand-made observations: each can fail, and says why. */
import { describe, expect, test } from "vitest";
import connections from "../harness/expect/connections.ts";
import exitCode from "../harness/expect/exit-code.ts";
import haproxyServerState, { parseServersState } from "../harness/expect/haproxy-server-state.ts";
import log from "../harness/expect/log.ts";
import output from "../harness/expect/output.ts";
import { applyRole } from "../harness/expect/verdict.ts";
import type { ComponentInstance, ExpectationDef, ExpectContext, StepObservation } from "../harness/registry.ts";
import type { LogLine } from "../harness/runtime/types.ts";
import { readConnections } from "../harness/components/tls-backend.ts";

const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 pages_https 1 web-pages-01 172.18.0.2 2 0 1 1 4 6 3 4 6 0 0 0 backend 1443 - 0 1080 - - 1080
`;

function ctxWith(steps: Record<string, Partial<StepObservation>>, logs: Record<string, LogLine[]> = {}): ExpectContext {
  const instance = (name: string): ComponentInstance => ({
    name,
    kind: "tls-backend",
    spec: {},
    state: new Map(),
    container: { logLines: () => logs[name] ?? [] } as unknown as ComponentInstance["container"],
  });
  return {
    step(id) {
      const s = steps[id];
      if (!s) throw new Error(`step \`${id}\` did not run`);
      return { id, kind: "exec", startedAt: 0, durationMs: 1, stdout: "", stderr: "", artifact: `steps/${id}.json`, ...s };
    },
    component: instance,
    observe: (c) => readConnections(instance(c)),
    logArtifact: (c) => `components/${c}.log`,
  };
}

const evaluate = (def: ExpectationDef, args: unknown, ctx: ExpectContext) => def.evaluate(def.schema.parse(args), ctx);
const line = (l: string, stream: "stdout" | "stderr" = "stdout"): LogLine => ({ at: 0, stream, line: l });

describe("exit-code", () => {
  test("equals, in, not", () => {
    const ctx = ctxWith({ curl: { exitCode: 35, stderr: "curl: (35) SSL_ERROR_SYSCALL" } });
    expect(evaluate(exitCode, { step: "curl", equals: 35 }, ctx).ok).toBe(true);
    const miss = evaluate(exitCode, { step: "curl", equals: 0 }, ctx);
    expect(miss).toMatchObject({ ok: false, expected: "exit 0", evidence: ["steps/curl.json"] });
    expect(miss.got).toMatch(/exit 35; stderr: "curl: \(35\) SSL_ERROR_SYSCALL"/);
    expect(evaluate(exitCode, { step: "curl", in: [35, 56] }, ctx).ok).toBe(true);
    expect(evaluate(exitCode, { step: "curl", not: 35 }, ctx).ok).toBe(false);
  });
  test("exactly one comparison", () => {
    expect(() => exitCode.schema.parse({ step: "x", equals: 1, not: 2 })).toThrow(/exactly one of equals, in, not/);
  });
  test("no exit code is inconclusive, and a negated inconclusive verdict still fails", () => {
    const v = evaluate(exitCode, { step: "curl", equals: 35 }, ctxWith({ curl: { error: "timed out" } }));
    expect(v).toMatchObject({ ok: false, inconclusive: true });
    expect(applyRole(v, true).ok).toBe(false);
  });
});

describe("output and log", () => {
  const ctx = ctxWith(
    { req: { stdout: "backend port=2443 client=1.2.3.4\nhttp_code=200\n" } },
    { lb: [line("[NOTICE] started", "stderr"), line("Server pages/web is DOWN"), line("more")] },
  );
  test("contains, regex across lines, lacks", () => {
    expect(evaluate(output, { step: "req", contains: "http_code=200" }, ctx).ok).toBe(true);
    expect(evaluate(output, { step: "req", contains: "/port=2443 .*\\n.*http_code=200/" }, ctx).ok).toBe(true);
    expect(evaluate(output, { step: "req", contains: "/port=1443/" }, ctx).ok).toBe(false);
    expect(evaluate(output, { step: "req", lacks: "http_code=000" }, ctx).ok).toBe(true);
  });
  test("a log match points at its line in the log artifact", () => {
    const v = evaluate(log, { on: "lb", lacks: "is DOWN" }, ctx);
    expect(v).toMatchObject({ ok: false, evidence: ["components/lb.log:2"] });
    expect(v.got).toContain("Server pages/web is DOWN");
    const onlyStdout = evaluate(log, { on: "lb", stream: "stdout", contains: "more" }, ctx);
    expect(onlyStdout.evidence).toEqual(["components/lb.log:3"]);
  });
});

describe("haproxy-server-state", () => {
  test("parses rows by header", () => {
    const rows = parseServersState(STATE);
    expect(rows[0]).toMatchObject({ be_name: "pages_https", srv_name: "web-pages-01", srv_port: "1443", srv_op_state: "2" });
  });
  test("port and running", () => {
    const ctx = ctxWith({ state: { stdout: STATE } });
    expect(evaluate(haproxyServerState, { step: "state", server: "web-pages-01", port: 1443, running: true }, ctx).ok).toBe(true);
    const v = evaluate(haproxyServerState, { step: "state", server: "web-pages-01", port: 2443 }, ctx);
    expect(v.ok).toBe(false);
    expect(v.got).toContain("backend:1443");
  });
  test("a missing server row is inconclusive, never a pass by negation", () => {
    const v = evaluate(haproxyServerState, { step: "state", server: "web-pages-99", port: 1443 }, ctxWith({ state: { stdout: STATE } }));
    expect(v.inconclusive).toBe(true);
    expect(applyRole(v, true).ok).toBe(false);
  });
});

describe("connections", () => {
  const ctx = ctxWith({}, {
    backend: [
      line('{"event":"conn","port":1443,"peer":"10.0.0.3:5000","first_bytes":"0d0a0d0a000d0a515549540a2111","proxy":null,"t":1}'),
      line('{"event":"tls-error","port":1443,"peer":"10.0.0.3:5000","error":"wrong version number","t":1}'),
      line('{"event":"conn","port":2443,"peer":"10.0.0.3:5001","first_bytes":"0d0a","proxy":{"version":2,"src":"10.0.0.9:4444","dst":"x"},"t":2}'),
      line('{"event":"response","port":2443,"peer":"10.0.0.3:5001","status":200,"client":"10.0.0.9:4444","t":2}'),
    ],
  });
  test("first bytes, TLS failure, PROXY source and status", () => {
    expect(evaluate(connections, { on: "backend", port: 1443, firstBytes: "0D0A0D0A000D0A515549540A", tlsFailed: true }, ctx).ok).toBe(true);
    expect(evaluate(connections, { on: "backend", port: 2443, proxySource: "10.0.0.9", status: 200 }, ctx).ok).toBe(true);
    expect(evaluate(connections, { on: "backend", port: 2443, proxySource: "10.0.0.8" }, ctx).ok).toBe(false);
  });
  test("none and all", () => {
    expect(evaluate(connections, { on: "backend", port: 3443, match: "none" }, ctx).ok).toBe(true);
    expect(evaluate(connections, { on: "backend", port: 1443, match: "none" }, ctx).ok).toBe(false);
    const all = evaluate(connections, { on: "backend", port: 9999, match: "all" }, ctx);
    expect(all.ok).toBe(false);
    expect(all.got).toMatch(/no connection on port 9999/);
  });
});
