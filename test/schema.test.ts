/** Bad input gets a clear error: file:line:col, the field path, what was expected and what was found. */
import { describe, expect, test } from "vitest";
import { formatProblem } from "../harness/errors.ts";
import { problemsOf, VALID } from "./helpers/scenario-text.ts";

const one = (yaml: string, fixtures: Record<string, string> = {}) => {
  const problems = problemsOf(yaml, fixtures);
  expect(problems.length, problems.map(formatProblem).join("\n")).toBeGreaterThan(0);
  return problems.map(formatProblem);
};

describe("scenario validation", () => {
  test("the sample is valid", () => {
    expect(() => problemsOf(VALID)).toThrow(/expected the scenario to be rejected/);
  });

  test("YAML syntax error points at the line", () => {
    const msgs = one(VALID.replace("title: A sample", "title: [unclosed"));
    expect(msgs[0]).toMatch(/^case\.yaml:\d+:\d+: YAML syntax error/);
  });

  test("unknown component kind names the kinds there are, and a near miss", () => {
    const msgs = one(VALID.replace("kind: toolbox", "kind: toolbx"));
    expect(msgs).toContainEqual(
      expect.stringMatching(/^case\.yaml:16:11: components\.client\.kind: unknown kind the string "toolbx"; expected one of haproxy, tls-backend, toolbox.*did you mean `toolbox`/),
    );
  });

  test("unknown component reference in a step", () => {
    const msgs = one(VALID.replace("in: client", "in: clinet"));
    expect(msgs).toContainEqual(expect.stringMatching(/^case\.yaml:20:9: steps\[0\]\.in: unknown component `clinet`; components: backend, client \(did you mean `client`\?\)/));
  });

  test("unknown step reference in an expectation", () => {
    const msgs = one(VALID.replace("step: hello", "step: helo"));
    expect(msgs).toContainEqual(expect.stringMatching(/^case\.yaml:25:11: symptoms\[0\]\.step: unknown step `helo`; step ids: hello/));
  });

  test("wrong types say what was expected and what was found", () => {
    const msgs = one(VALID.replace("port: 8443", 'port: "eighty"'));
    expect(msgs).toContainEqual(expect.stringMatching(/^case\.yaml:14:17: components\.backend\.listeners\[0\]\.port: expected number, found the string "eighty"/));
  });

  test("an unknown field is named at its key", () => {
    const msgs = one(VALID.replace("    kind: toolbox", "    kind: toolbox\n    imagee: x"));
    expect(msgs).toContainEqual(expect.stringMatching(/^case\.yaml:17:5: components\.client\.imagee: unknown field `imagee`/));
  });

  test("a bad duration", () => {
    const msgs = one(VALID.replace("sleep: 600s", "sleep: 10 minutes"));
    expect(msgs).toContainEqual(expect.stringMatching(/^case\.yaml:22:12: steps\[1\]\.sleep: expected a duration such as "600s"/));
  });

  test("a scaled duration below its mechanism's resolution says which value to change", () => {
    const msgs = one(VALID.replace("timescale: 100", "timescale: 100000").replace("sleep: 600s", "sleep: 50ms"));
    expect(msgs).toContainEqual(
      expect.stringMatching(/^case\.yaml:22:12: steps\[1\]\.sleep: 50ms at timescale 100000 is 0\.0005ms, below what this field can resolve \(1ms\); write at least 100s in `steps\[1\]\.sleep`, or lower the timescale to 50 or less/),
    );
  });

  test("an unknown parameter", () => {
    const msgs = one(VALID.replace("exit ${code}", "exit ${cod}"));
    expect(msgs).toContainEqual(expect.stringMatching(/^case\.yaml:21:14: steps\[0\]\.command: unknown parameter \$\{cod\}; declared: code/));
  });

  test("an unknown action names the component's actions", () => {
    const yaml = VALID.replace("  - sleep: 600s", "  - do: reload\n    on: backend");
    const msgs = one(yaml);
    expect(msgs).toContainEqual(expect.stringMatching(/steps\[1\]\.do: component `backend` \(tls-backend\) has no actions/));
  });

  test("a missing fixture", () => {
    const yaml = VALID.replace("  client:\n    kind: toolbox", "  client:\n    kind: toolbox\n  lb:\n    kind: haproxy\n    config: missing.cfg");
    const msgs = one(yaml);
    expect(msgs).toContainEqual(expect.stringMatching(/components\.lb\.config: fixture `missing\.cfg` not found beside the scenario/));
  });

  test("a step with no kind, and one with two", () => {
    const msgs = one(VALID.replace("  - sleep: 600s", "  - id: nothing\n  - sleep: 1s\n    run: exec"));
    expect(msgs).toContainEqual(expect.stringMatching(/steps\[1\]: a step needs one of `do`, `run`, `sleep`, `wait`/));
    expect(msgs).toContainEqual(expect.stringMatching(/steps\[2\]: a step has exactly one of .*; found run and sleep/));
  });

  test("a variant with an unknown outcome", () => {
    const msgs = one(VALID.replace("outcome: fixed", "outcome: fixd"));
    expect(msgs).toContainEqual(expect.stringMatching(/variants\.fix\.outcome: expected one of "reproduces", "fixed", found the string "fixd" \(did you mean `fixed`\?\)/));
  });

  test("a reproducing variant must say what the failure looks like", () => {
    const msgs = one(VALID.replace(/symptoms:\n(.*\n){3}/, ""));
    expect(msgs).toContainEqual(expect.stringMatching(/variants\.bug: a variant that reproduces the failure needs `symptoms`/));
  });

  test("several problems are reported together, in file order", () => {
    const problems = problemsOf(VALID.replace("in: client", "in: nobody").replace("step: hello", "step: nope"));
    expect(problems.length).toBeGreaterThanOrEqual(2);
    const lines = problems.map((p) => p.pos.line);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });
});
