/**
 * dockerode-attach: the harness's own stack doing what a CI runner does — dockerode (through
 * docker-modem and Node's https) creates a job on a Docker engine over TLS, attaches to its output
 * (hijacked HTTP upgrade), starts it and records every line with its arrival time. It runs in the
 * harness's process, so it reaches the engine from the host: give it an address the host can route
 * (an idle cutter's `hostAddress`). Linux only: Docker Desktop does not route container addresses.
 *
 * What it found: docker-modem passes no agent, so Node's https.globalAgent makes the socket; that
 * agent turns SO_KEEPALIVE on only for sockets it takes back into its pool, and a hijacked attach
 * socket never goes back. The attach connection has no TCP keepalive, as the seed's Docker client.
 */
import { checkServerIdentity } from "node:tls";
import type { Socket } from "node:net";
import Dockerode from "dockerode";
import { execa } from "execa";
import { z } from "zod";
import { clientCerts, DOCKER_TLS_PORT } from "../components/docker-daemon.ts";
import { defineDriver } from "../registry.ts";
import { componentRef, incidentDuration } from "../schema/types.ts";

const schema = z.strictObject({
  daemon: componentRef("the Docker engine", { kinds: ["docker-daemon"] }),
  address: z.string().optional().describe("host:port the host dials, such as ${cutter.hostAddress}; default: the daemon's own address"),
  job: z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/),
    script: z.string().min(1).describe("run with sh -c in busybox; $GAP holds `gap` in seconds, scaled"),
    gap: incidentDuration("the job's silence, exported as $GAP (seconds)", { resolutionMs: 10, mechanism: "sleep", role: "idle-gap" }).optional(),
  }),
  deadline: incidentDuration("give up waiting for the end of the stream after this long"),
});

/** `ss` on the host for one local port: the socket's timers, where the host has ss. */
async function socketState(localPort: number): Promise<string> {
  const r = await execa("ss", ["-tnoH", "state", "established", `( sport = :${localPort} )`], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() || "(no established socket)" : `(ss unavailable: ${r.stderr.trim() || r.exitCode})`;
}

export default defineDriver({
  kind: "dockerode-attach",
  description:
    "The harness's own Docker stack (dockerode → docker-modem → Node https) attaching to a job over TLS from the host; " +
    "prints every line with its arrival time. Exit 0: the stream ended; 2: its deadline passed first. Linux hosts only.",
  schema,
  async run(args, ctx) {
    const daemon = ctx.component(args.daemon.name);
    const [host, port] = (args.address ?? `${daemon.container.ip()}:${DOCKER_TLS_PORT}`).split(":") as [string, string];
    const certs = await clientCerts(daemon);
    const docker = new Dockerode({
      host,
      port: Number(port),
      protocol: "https",
      ca: certs.get("ca.pem")!,
      cert: certs.get("cert.pem")!,
      key: certs.get("key.pem")!,
      version: "v1.41",
      // The engine's certificate names the daemon, not the address we dial through a middlebox.
      checkServerIdentity: (_h: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(args.daemon.name, cert),
    } as Dockerode.DockerOptions);
    const out: string[] = [];
    const events: string[] = [];
    const startedAt = Date.now();
    const env = args.job.gap ? [`GAP=${+(args.job.gap.ms / 1000).toFixed(3)}`] : [];
    const job = await docker.createContainer({
      Image: "busybox",
      name: args.job.name,
      Cmd: ["sh", "-c", args.job.script],
      Env: env,
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = (await job.attach({ stream: true, stdout: true, stderr: true, hijack: true })) as unknown as Socket;
    events.push(`attach: connected ${stream.localAddress}:${stream.localPort} -> ${stream.remoteAddress}:${stream.remotePort}`);
    let ended = false;
    const done = new Promise<string>((resolve) => {
      let buf = Buffer.alloc(0);
      const partial: Record<number, string> = { 1: "", 2: "" };
      stream.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 8 && buf.length >= 8 + buf.readUInt32BE(4)) {
          const kind = buf[0] === 2 ? 2 : 1;
          const size = buf.readUInt32BE(4);
          const text = partial[kind] + buf.subarray(8, 8 + size).toString("utf8");
          buf = buf.subarray(8 + size);
          const parts = text.split("\n");
          partial[kind] = parts.pop() ?? "";
          for (const l of parts) out.push(`${new Date().toISOString()} ${kind === 2 ? "stderr" : "stdout"} ${l}`);
        }
      });
      stream.on("end", () => resolve("end"));
      stream.on("error", (err) => resolve(`error: ${err.message}`));
    });
    await job.start();
    events.push("attach: job started");
    // Look at the socket once the job has had time to print its first line.
    const state = new Promise<string>((r) => setTimeout(() => void socketState(stream.localPort ?? 0).then(r), 500));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([done, new Promise<string>((r) => (timer = setTimeout(() => r("deadline"), args.deadline.ms)))]);
    clearTimeout(timer);
    events.push(`attach: socket: ${await state}`);
    let exitCode = 0;
    if (outcome === "end") {
      ended = true;
      events.push(`attach: stream ended after ${Date.now() - startedAt} ms, ${out.length} lines`);
    } else if (outcome === "deadline") {
      exitCode = 2;
      events.push(`attach: no end of stream within ${args.deadline.toString()} (${out.length} lines); the connection is still open`);
    } else {
      exitCode = 1;
      events.push(`attach: ${outcome}`);
    }
    if (!ended) stream.destroy();
    return { stdout: out.map((l) => `${l}\n`).join(""), stderr: events.map((l) => `${l}\n`).join(""), exitCode, startedAt, durationMs: Date.now() - startedAt };
  },
});
