/**
 * docker-attach: a CI runner's view of a remote Docker engine. A Go program (stdlib, built in a
 * container: harness/programs/docker-attach) creates a job container, attaches to its output over
 * the engine's TLS API with `Upgrade: tcp`, starts it and prints every line with its arrival time.
 * Its TCP keepalive is a switch: `off` is what the Docker client got over TLS before Go 1.12.
 */
import { join } from "node:path";
import { z } from "zod";
import { clientCerts, DOCKER_TLS_PORT } from "../components/docker-daemon.ts";
import { defineDriver, type StepContext } from "../registry.ts";
import { execOutput } from "./exec.ts";
import { goProgramImage, installGoProgram, type GoProgram } from "../runtime/go-build.ts";
import { REPO_ROOT } from "../runtime/images.ts";
import { componentRef, incidentDuration, type Duration } from "../schema/types.ts";

export const ATTACH_PROGRAM: GoProgram = {
  name: "go-docker-attach",
  dir: join(REPO_ROOT, "harness", "programs", "docker-attach"),
  go: "1.23",
  binary: "docker-attach",
};

const keepaliveTime = (what: string) =>
  incidentDuration(what, { resolutionMs: 1000, whole: true, mechanism: "TCP keepalive timers (whole seconds)" });

const schema = z.strictObject({
  in: componentRef("the container the client runs in (on the client side of any middlebox)"),
  daemon: componentRef("the Docker engine", { kinds: ["docker-daemon"] }),
  address: z.string().optional().describe("host:port to dial, such as ${cutter.address}; default: the daemon's own address"),
  job: z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/).describe("the job container's name"),
    script: z.string().min(1).describe("the job, run with sh -c in busybox; $GAP holds `gap` in seconds, scaled"),
    gap: incidentDuration("the job's silence, exported as $GAP (seconds)", { resolutionMs: 10, mechanism: "sleep", role: "idle-gap" }).optional(),
    env: z
      .record(z.string(), incidentDuration("a duration exported to the job in seconds", { resolutionMs: 10, mechanism: "sleep" }))
      .optional()
      .describe("more durations for the job, exported in seconds, scaled"),
  }),
  keepalive: z
    .union([z.literal("off"), keepaliveTime("TCP keepalive idle time and interval alike (Go's Dialer.KeepAlive)")])
    .describe('"off" (no SO_KEEPALIVE) or a period used as both idle time and interval'),
  keepaliveIdle: keepaliveTime("TCP_KEEPIDLE, when it differs from the interval").optional(),
  keepaliveInterval: keepaliveTime("TCP_KEEPINTVL, when it differs from the idle time").optional(),
  keepaliveCount: z.number().int().min(1).optional().describe("TCP_KEEPCNT"),
  deadline: incidentDuration("the client gives up waiting for the end of the stream after this long"),
});
type Args = z.output<typeof schema>;

const secs = (d: Duration) => `${+(d.ms / 1000).toFixed(3)}`;

async function install(args: Args, ctx: StepContext) {
  const target = ctx.component(args.in.name).container;
  await installGoProgram(ATTACH_PROGRAM, target, ctx.labels);
  const certs = await clientCerts(ctx.component(args.daemon.name));
  await target.copyContent([...certs].map(([name, content]) => ({ path: `/certs/${name}`, content, mode: 0o600 })));
}

export default defineDriver({
  kind: "docker-attach",
  description:
    "A Go client (a CI runner's core) that creates a job on a Docker engine, attaches to its output over TLS " +
    "(Upgrade: tcp), starts it and prints every line with its arrival time. Exit 0: the stream ended; 2: its own deadline passed first.",
  schema,
  async prepare() {
    await goProgramImage(ATTACH_PROGRAM);
  },
  async run(args, ctx) {
    await install(args, ctx);
    const daemon = ctx.component(args.daemon.name);
    const address = args.address ?? `${daemon.container.ip()}:${DOCKER_TLS_PORT}`;
    const env = Object.entries({ ...(args.job.gap ? { GAP: args.job.gap } : {}), ...args.job.env }).map(([k, d]) => `${k}=${secs(d)}`);
    const argv = [
      ATTACH_PROGRAM.binary,
      "-host", address,
      "-servername", args.daemon.name,
      "-certs", "/certs",
      "-name", args.job.name,
      "-script", args.job.script,
      "-keepalive", args.keepalive === "off" ? "off" : `${secs(args.keepalive)}s`,
      "-deadline", `${secs(args.deadline)}s`,
      ...(env.length ? ["-env", env.join(",")] : []),
      ...(args.keepaliveIdle ? ["-keepalive-idle", `${secs(args.keepaliveIdle)}s`] : []),
      ...(args.keepaliveInterval ? ["-keepalive-interval", `${secs(args.keepaliveInterval)}s`] : []),
      ...(args.keepaliveCount ? ["-keepalive-count", String(args.keepaliveCount)] : []),
    ];
    const res = await ctx.component(args.in.name).container.exec(argv, { timeoutMs: args.deadline.ms + 30_000 });
    return execOutput(res, "the client did not exit 30 s after its own deadline");
  },
});
