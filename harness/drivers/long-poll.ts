/**
 * long-poll: a runner-like client long-polls a jobs endpoint over one keep-alive connection and,
 * when a job comes, builds a CA file from that connection and "clones" against the server with
 * it. One JSON record per line on stdout (see harness/programs/long-poll-go/main.go):
 *   {"event":"response","at":<epoch ms>,"seq":3,"local_port":40112,"reused":true,"resumed":false,"fingerprint":"<sha256>",...}
 *   {"event":"error",...} {"event":"retire",...} {"event":"ca-file",...} {"event":"clone","method":"curl","exit":60,...}
 * Exit 0: the job came and every clone succeeded; 3: a clone failed; 2: no job within `timeout`.
 */
import { z } from "zod";
import { GO_CLIENT_PATH, NODE_CLIENT_PATH } from "../components/long-poll-client.ts";
import { defineDriver } from "../registry.ts";
import { certificateRef, componentRef, incidentDuration, realDuration } from "../schema/types.ts";
import { execOutput } from "./exec.ts";

const TRUST_DIR = "/tmp/long-poll/trust";

export default defineDriver({
  kind: "long-poll",
  description:
    "A runner-like long-poll loop (Go net/http, or Node's https.Agent with keepAlive) in a `long-poll-client` " +
    "component: one JSON record per response (local port, reused, peer certificate fingerprint); on a job, a CA file " +
    "from that connection's chain and a clone (curl --cacert, or a fresh TLS connection) that must verify.",
  schema: z.strictObject({
    in: componentRef("the long-poll-client component that runs the loop", { kinds: ["long-poll-client"] }),
    client: z.enum(["go", "node"]).describe("go: net/http's Transport (Go 1.23); node: https.Agent({ keepAlive: true }) (Node 18)"),
    url: z.string().url().describe("the long-poll endpoint (POSTed to)"),
    trust: z.array(certificateRef("a CA the client trusts")).min(1).describe("the client's trust store (its system CAs)"),
    maxConnAge: z
      .union([z.literal("none"), incidentDuration("a connection age", { resolutionMs: 1, mechanism: "the client's clock" })])
      .default("none")
      .describe("the fix: close a connection once it is older than this (checked when it goes back to the pool); none: never"),
    clone: z
      .array(z.enum(["curl", "tls"]))
      .min(1)
      .default(["curl"])
      .describe("how a job's repository is fetched with the CA file: curl --cacert, and/or the client's own fresh TLS connection"),
    sessionCache: z
      .enum(["default", "on", "off"])
      .default("default")
      .describe(
        "TLS session resumption on new connections. default: each stack's own (Go net/http: none; Node's https.Agent: " +
          "a cache of 100); on: Go gets tls.NewLRUClientSessionCache; off: Node gets maxCachedSessions 0",
      ),
    timeout: incidentDuration("give up when no job came within this long").prefault("30m"),
    retryDelay: realDuration("wait after a failed poll before the next").prefault("100ms"),
  }),
  async run(args, ctx) {
    const container = ctx.component(args.in.name).container;
    const roots = args.trust.map((r) => ctx.certificate(r.name));
    await container.copyContent(roots.map((c) => ({ path: `${TRUST_DIR}/${c.name}.crt`, content: c.cert, mode: 0o644 })));
    const rootFiles = roots.map((c) => `${TRUST_DIR}/${c.name}.crt`).join(",");
    const maxAgeMs = args.maxConnAge === "none" ? 0 : Math.max(1, Math.round(args.maxConnAge.ms));
    const timeoutMs = Math.round(args.timeout.ms);
    const sessions = args.sessionCache === "default" ? (args.client === "go" ? "off" : "on") : args.sessionCache;
    const argv =
      args.client === "go"
        ? [GO_CLIENT_PATH, "-url", args.url, "-roots", rootFiles, "-max-conn-age", `${maxAgeMs}ms`, "-clone", args.clone.join(","),
            "-session-cache", sessions, "-timeout", `${timeoutMs}ms`, "-retry-delay", `${args.retryDelay.ms}ms`]
        : ["node", NODE_CLIENT_PATH, "--url", args.url, "--roots", rootFiles, "--max-conn-age", String(maxAgeMs), "--clone", args.clone.join(","),
            "--session-cache", sessions, "--timeout", String(timeoutMs), "--retry-delay", String(args.retryDelay.ms)];
    const res = await container.exec(argv, { timeoutMs: timeoutMs + 30_000 });
    return execOutput(res, `the client did not exit within ${timeoutMs + 30_000} ms`);
  },
});
