/** The plan: variants, parameters, timescale, and the shipped scenarios. */
import { describe, expect, test } from "vitest";
import { formatMs, parseDuration } from "../harness/duration.ts";
import { resolveRuntime, substituteFixture, substituteParams } from "../harness/plan/template.ts";
import { planText, problemsOf, VALID } from "./helpers/scenario-text.ts";

describe("durations", () => {
  test("parse and format", () => {
    expect(parseDuration("600s")).toBe(600_000);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("10 minutes")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
    expect(formatMs(6000)).toBe("6s");
    expect(formatMs(600_000)).toBe("10m");
  });
});

describe("variants", () => {
  const plan = planText(VALID);
  const [bug, fix] = plan.variants;

  test("one plan per variant, in file order", () => {
    expect(plan.variants.map((v) => v.variant.name)).toEqual(["bug", "fix"]);
  });

  test("parameters are substituted per variant, keeping their type when a value is a whole reference", () => {
    const cmd = (v: typeof bug) => (v!.steps[0] as unknown as { args: { command: string } }).args.command;
    expect(cmd(bug)).toBe("exit 7");
    expect(cmd(fix)).toBe("exit 0");
    expect(bug!.params).toEqual({ code: 7 });
  });

  test("durations are scaled by the timescale", () => {
    const sleep = bug!.steps[1]!;
    expect(sleep.type).toBe("sleep");
    if (sleep.type === "sleep") {
      expect(sleep.duration.writtenMs).toBe(600_000);
      expect(sleep.duration.ms).toBe(6000);
    }
  });

  test("symptoms must hold in a reproducing variant and must not in a fixed one", () => {
    expect(bug!.checks.map((c) => [c.role, c.negate])).toEqual([["symptom", false]]);
    expect(fix!.checks.map((c) => [c.role, c.negate])).toEqual([["symptom", true]]);
  });

  test("images come from the components' definitions", () => {
    expect(bug!.images).toEqual(["tools"]);
  });

  test("a --set override applies to every variant", () => {
    const p = planText(VALID.replace("name: sample", "name: sample2"));
    expect(p.variants[0]!.params["code"]).toBe(7);
  });
});

describe("templates", () => {
  test("unknown parameters and components are reported with their path", () => {
    const r = substituteParams({ a: "${x} ${comp.ip} ${nope.ip} ${comp.mac} ${comp.address}" }, { y: 1 }, { components: { comp: ["address"] } });
    expect(r.problems.map((p) => [p.path.join("."), p.message.split(";")[0]])).toEqual([
      ["a", "unknown parameter ${x}"],
      ["a", "${nope.ip} names no component"],
      ["a", "${comp.mac}: unknown attribute `mac`"],
    ]);
  });

  test("runtime references resolve late; $${ escapes", () => {
    const v = resolveRuntime({ cmd: "ping ${lb.ip} $${HOME}" }, (c, a) => `${c}-${a}`);
    expect(v.cmd).toBe("ping lb-ip ${HOME}");
  });

  test("fixtures get declared params only; other ${...} is left for the software", () => {
    expect(substituteFixture('server ${name} "${HOME}"', { name: "web-01" })).toBe('server web-01 "${HOME}"');
  });
});

describe("idle fidelity", () => {
  const IDLE = `version: 1
name: idle
title: idle checks
incident: { source: a test, summary: idle }
timescale: TS
params: { gap: GAP }
networks: { a: {}, b: {} }
components:
  docker: { kind: docker-daemon, networks: [b] }
  runner: { kind: toolbox, networks: [a], capAdd: [NET_ADMIN] }
  cut: { kind: idle-cutter, networks: [a, b], idle: 600s, client: runner, server: docker, port: 2376 }
steps:
  - id: attach
    run: docker-attach
    in: runner
    daemon: docker
    job: { name: job, script: "sleep $GAP", gap: "\${gap}" }
    keepalive: "off"
    deadline: 900s
symptoms:
  - { kind: exit-code, step: attach, equals: 2 }
variants:
  bug: { description: the bug, outcome: reproduces }
`;
  const idle = (ts: number, gap: string) => IDLE.replace("TS", String(ts)).replace("GAP", gap);

  test("a scaled idle limit at or above a fixed timer of the real software is refused", () => {
    const msgs = problemsOf(idle(30, "700s")).map((p) => `${p.pos.line}: ${p.path}: ${p.message}`);
    expect(msgs).toContainEqual(
      expect.stringMatching(/^11: components\.cut\.idle: 600s at timescale 30 is 20s, but dockerd's TCP keepalive on accepted API connections \(Go's 15 s default\) \(component `docker`\) fires every 15s of real time, which no timescale compresses.*Raise the timescale above 40/),
    );
  });

  test("a gap too close to the idle limit is refused, saying how far apart to write them", () => {
    const msgs = problemsOf(idle(60, "601s")).map((p) => `${p.path}: ${p.message}`);
    expect(msgs).toContainEqual(
      expect.stringMatching(/^steps\[0\]\.job\.gap: the gap 601s and the idle limit 600s are 17ms apart at timescale 60; under 200ms the outcome is decided by scheduling jitter\. Write the gap at least 12s \(incident time\) away/),
    );
  });

  test("a conntrack cutter checks its endpoints: networks and NET_ADMIN", () => {
    const msgs = problemsOf(idle(60, "615s").replace("capAdd: [NET_ADMIN] ", "").replace("networks: [a], ", "networks: [a, b], ")).map((p) => `${p.path}: ${p.message}`);
    expect(msgs).toContainEqual(expect.stringMatching(/^components\.cut\.server: `runner` and `docker` share network b, so their traffic would not cross the cutter/));
    expect(msgs).toContainEqual(expect.stringMatching(/^components\.cut\.client: `runner` routes through the cutter and needs capAdd: \[NET_ADMIN\]/));
  });

  test("the cutter starts after the endpoints it names", () => {
    const cut = planText(idle(60, "615s")).variants[0]!.components.find((c) => c.name === "cut")!;
    expect(cut.dependsOn.sort()).toEqual(["docker", "runner"]);
  });
});

describe("steps left out with if", () => {
  test("if: false and string comparisons drop a step per variant", () => {
    const yaml = VALID.replace("params:\n  code: 7", "params:\n  code: 7\n  mode: a").replace(
      "  - sleep: 600s",
      "  - sleep: 600s\n    if: ${mode} == b\n  - sleep: 60s\n    if: ${mode} != b",
    );
    const plan = planText(yaml);
    expect(plan.variants[0]!.steps.map((s) => s.label)).toEqual(["run exec in client (hello)", "sleep 60s"]);
  });
});
