/** The plan: variants, parameters, timescale, and the shipped scenarios. */
import { describe, expect, test } from "vitest";
import { formatMs, parseDuration } from "../harness/duration.ts";
import { resolveRuntime, substituteFixture, substituteParams } from "../harness/plan/template.ts";
import { planText, VALID } from "./helpers/scenario-text.ts";

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
    const r = substituteParams({ a: "${x} ${comp.ip} ${nope.ip} ${comp.mac} ${comp.address}" }, { y: 1 }, { comp: ["address"] });
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
