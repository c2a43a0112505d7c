/**
 * long-poll-client: a client container (the toolbox with Debian's Node.js 18) with the two
 * runner-like long-poll clients installed, for the `long-poll` driver:
 *   long-poll-go    Go 1.23 net/http (harness/programs/long-poll-go), built in a container and
 *                   copied in at start;
 *   long-poll-node  Node's https.Agent({ keepAlive: true }) (harness/programs/long-poll-node).
 * curl and openssl are there too, for the clients' "clone" and for `exec` probes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { defineComponent } from "../registry.ts";
import { installGoProgram, type GoProgram } from "../runtime/go-build.ts";

export const GO_CLIENT: GoProgram = {
  name: "long-poll-go",
  dir: fileURLToPath(new URL("../programs/long-poll-go", import.meta.url)),
  go: "1.23",
  binary: "long-poll-go",
};
export const GO_CLIENT_PATH = `/usr/local/bin/${GO_CLIENT.binary}`;
export const NODE_CLIENT_PATH = "/usr/local/lib/netrepro/long-poll-node.mjs";
const NODE_CLIENT = readFileSync(new URL("../programs/long-poll-node/client.mjs", import.meta.url));

export default defineComponent({
  kind: "long-poll-client",
  description:
    "A client container (curl, openssl, Debian's Node.js 18) with the runner-like long-poll clients installed: " +
    "long-poll-go (Go 1.23 net/http) and long-poll-node (Node's https.Agent). Run them with the `long-poll` driver.",
  images: ["node"],
  schema: z.strictObject({}),
  container() {
    return {
      image: "node",
      command: ["sleep", "infinity"],
      files: [{ path: NODE_CLIENT_PATH, content: NODE_CLIENT, mode: 0o644 }],
      ready: { none: true },
    };
  },
  async afterStart(instance, ctx) {
    await installGoProgram(GO_CLIENT, instance.container, ctx.labels, { log: (l) => ctx.note(l) });
  },
  actions: {},
  observables: {},
});
