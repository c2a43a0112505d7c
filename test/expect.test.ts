/** Expectations against hand-made observations: each can fail, and says why. */
import { describe, expect, test } from "vitest";
import connections from "../harness/expect/connections.ts";
import exitCode from "../harness/expect/exit-code.ts";
import haproxyServerState, { parseServersState } from "../harness/expect/haproxy-server-state.ts";
import log from "../harness/expect/log.ts";
import output from "../harness/expect/output.ts";
import records, { parseRecords, valueMatches } from "../harness/expect/records.ts";
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

describe("records", () => {
  const poll = [
    '{"event":"start","at":1000}',
    "not a record",
    '{"event":"response","at":1500,"seq":1,"reused":false,"fingerprint":"aa","conn_age_ms":500}',
    '{"event":"response","at":2000,"seq":2,"reused":true,"fingerprint":"aa","conn_age_ms":1000}',
    '{"event":"response","at":3000,"seq":3,"reused":true,"fingerprint":"aa","conn_age_ms":2000}',
    '{"event":"response","at":3500,"seq":4,"reused":true,"fingerprint":"aa","conn_age_ms":2500}',
    '{"event":"ca-file","at":3600,"fingerprints":["aa","cc"]}',
  ].join("\n");
  const ctx = ctxWith(
    { poll: { stdout: poll }, rotate: { startedAt: 2500, durationMs: 100 }, empty: { stdout: "nothing\n" } },
    { upstream: [line('{"event":"received","seq":"1"}'), line('{"event":"received","seq":"2"}'), line('{"event":"received","seq":"2"}')] },
  );
  const check = (args: Record<string, unknown>) => evaluate(records, { step: "poll", ...args }, ctx);

  test("parses JSON objects among other lines", () => {
    expect(parseRecords(poll.split("\n")).length).toBe(6);
  });

  test("values: equality, /regex/, list membership, absent, ranges", () => {
    expect(valueMatches("aa", "aa")).toBe(true);
    expect(valueMatches("abc", "/^a.c$/")).toBe(true);
    expect(valueMatches(["aa", "cc"], "cc")).toBe(true);
    expect(valueMatches(["aa", "cc"], "bb")).toBe(false);
    expect(valueMatches(undefined, null)).toBe(true);
    expect(valueMatches(60, 60)).toBe(true);
    expect(valueMatches("60", 60)).toBe(false);
    expect(valueMatches(5, { min: 1, max: 5 })).toBe(true);
    expect(valueMatches(6, { min: 1, max: 5 })).toBe(false);
    expect(valueMatches("6", { min: 1 })).toBe(false);
  });

  test("some, all and none, after and before a step", () => {
    expect(check({ where: { event: "response", reused: true }, after: "rotate", match: "all", fields: { fingerprint: "aa" } }).ok).toBe(true);
    const miss = check({ where: { event: "response", reused: true }, after: "rotate", match: "all", fields: { fingerprint: "bb" } });
    expect(miss.ok).toBe(false);
    expect(miss.expected).toBe("all records of step `poll` with event=response, reused=true after `rotate` have fingerprint=bb");
    expect(miss.got).toMatch(/^0 of 2 counted records match; first not matching: \{"event":"response","at":3000,"reused":true,"fingerprint":"aa"\}/);
    expect(check({ where: { event: "response" }, before: "rotate", match: "none", fields: { reused: true, seq: 3 } }).ok).toBe(true);
    expect(check({ where: { event: "dial" }, after: "rotate", match: "none" }).ok).toBe(true);
    expect(check({ where: { event: "ca-file" }, fields: { fingerprints: "aa" } }).ok).toBe(true);
  });

  test("all needs at least one counted record", () => {
    const v = check({ where: { event: "dial" }, match: "all", fields: { reused: true } });
    expect(v).toMatchObject({ ok: false });
    expect(v.got).toBe("no record with event=dial (of 6)");
  });

  test("a duration bound is compared in ms", () => {
    expect(check({ where: { event: "response" }, fields: { conn_age_ms: { min: "2s" } } }).ok).toBe(true);
    expect(check({ where: { event: "response" }, fields: { conn_age_ms: { min: "3s" } } }).ok).toBe(false);
  });

  test("unique: a value seen twice fails", () => {
    const v = evaluate(records, { on: "upstream", where: { event: "received" }, unique: "seq" }, ctx);
    expect(v.ok).toBe(false);
    expect(v.got).toMatch(/seq repeated: "2" ×2/);
    expect(evaluate(records, { step: "poll", where: { event: "response" }, unique: "seq" }, ctx).ok).toBe(true);
  });

  test("no records at all is inconclusive, and stays a failure when negated", () => {
    const v = evaluate(records, { step: "empty", match: "none" }, ctx);
    expect(v).toMatchObject({ ok: false, inconclusive: true });
    expect(applyRole(v, true).ok).toBe(false);
  });

  test("exactly one source", () => {
    expect(() => records.schema.parse({ step: "a", on: "b" })).toThrow(/exactly one of step, on/);
  });
});
