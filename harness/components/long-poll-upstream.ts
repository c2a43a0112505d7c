/**
 * long-poll-upstream: the jobs API of a CI server (harness/programs/long-poll-upstream/server.py,
 * Python's http.server on the tools image). `POST /api/v4/jobs/request` is held up to `hold`,
 * then answered 204 (no job), or 201 with a job as soon as `enqueue-job` queues one; any GET is
 * the repository a job clones (200). It logs one JSON record per request.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ScenarioRuntimeError } from "../errors.ts";
import { defineAction, defineComponent } from "../registry.ts";
import { incidentDuration } from "../schema/types.ts";

const SERVER = readFileSync(new URL("../programs/long-poll-upstream/server.py", import.meta.url));
const SERVER_PATH = "/usr/local/bin/netrepro-long-poll-upstream";
const CONTROL_PORT = 8081;

export default defineComponent({
  kind: "long-poll-upstream",
  description:
    "A long-poll jobs API (Python http.server): POST /api/v4/jobs/request is held up to `hold` and answered 204, or 201 " +
    "with a job once `enqueue-job` queues one; GET serves the repository a job clones. Logs a JSON record per request " +
    "(received, answered, abandoned; with the client's X-Poll-Seq).",
  images: ["tools"],
  schema: z.strictObject({
    port: z.number().int().min(1).max(65535).default(8080).describe("the HTTP port"),
    hold: incidentDuration("how long a poll is held when there is no job (GitLab: 50 s)", {
      resolutionMs: 10,
      mechanism: "the server's condition wait",
    }).prefault("50s"),
    gitUrl: z.string().url().describe("the repository URL a job carries (what the client then clones)"),
  }),
  container(spec) {
    return {
      image: "tools",
      command: ["python3", "-u", SERVER_PATH],
      env: {
        PORT: String(spec.port),
        CONTROL_PORT: String(CONTROL_PORT),
        HOLD_MS: String(Math.round(spec.hold.ms)),
        GIT_URL: spec.gitUrl,
      },
      files: [{ path: SERVER_PATH, content: SERVER, mode: 0o755 }],
      ready: { log: /"event":"ready"/ },
    };
  },
  actions: {
    "enqueue-job": defineAction({
      description: "Queues one job: the poll being held (or the next one) is answered 201 with it at once.",
      schema: z.strictObject({}),
      async run(instance) {
        const res = await instance.container.exec(["curl", "-sS", "--max-time", "5", "-X", "POST", `http://127.0.0.1:${CONTROL_PORT}/enqueue`], { timeoutMs: 10_000 });
        if (res.exitCode !== 0) {
          throw new ScenarioRuntimeError(`component \`${instance.name}\` (long-poll-upstream): enqueue failed with exit ${res.exitCode}: ${res.stderr.trim()}`);
        }
        return { stdout: `${res.stdout}\n`, stderr: res.stderr, exitCode: 0 };
      },
    }),
  },
  observables: {},
});
