/** haproxy-server-state: a server's row in the output of `show servers state`. */
import { z } from "zod";
import { defineExpectation } from "../registry.ts";
import { stepRef } from "../schema/types.ts";

export interface ServerStateRow {
  [column: string]: string;
}

/** Parses `show servers state` (format version 1): a version line, a "# column ..." header, rows. */
export function parseServersState(text: string): ServerStateRow[] {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  const header = lines.find((l) => l.startsWith("# be_id"));
  if (!header) return [];
  const cols = header.slice(2).split(/\s+/);
  return lines
    .filter((l) => !l.startsWith("#") && /^\d+\s/.test(l))
    .map((l) => Object.fromEntries(l.split(/\s+/).map((v, i) => [cols[i] ?? `col${i}`, v])));
}

/** srv_op_state values (HAProxy's enum srv_state). */
const OP_STATES: Record<string, string> = { "0": "STOPPED", "1": "STARTING", "2": "RUNNING", "3": "STOPPING" };

export default defineExpectation({
  kind: "haproxy-server-state",
  description: "A server's row in `show servers state` (a step that ran that command) has the given port, address or state.",
  schema: z.strictObject({
    step: stepRef("a step whose stdout is the output of `show servers state`"),
    backend: z.string().optional().describe("the backend's name; default: any backend"),
    server: z.string().min(1).describe("the server's name"),
    port: z.number().int().optional().describe("srv_port"),
    address: z.string().optional().describe("srv_addr"),
    running: z.boolean().optional().describe("srv_op_state is 2 (RUNNING: health checks pass)"),
  }),
  evaluate(args, ctx) {
    const obs = ctx.step(args.step.id);
    const rows = parseServersState(obs.stdout);
    const row = rows.find((r) => r["srv_name"] === args.server && (args.backend === undefined || r["be_name"] === args.backend));
    const want: string[] = [];
    if (args.port !== undefined) want.push(`port ${args.port}`);
    if (args.address !== undefined) want.push(`address ${args.address}`);
    if (args.running !== undefined) want.push(args.running ? "RUNNING" : "not RUNNING");
    const who = `${args.backend ?? "*"}/${args.server}`;
    const expected = `server ${who} has ${want.join(", ") || "a row"}`;
    const evidence = obs.artifact ? [obs.artifact] : [];
    if (!row) {
      const names = rows.map((r) => `${r["be_name"]}/${r["srv_name"]}`).join(", ") || "no rows";
      return { ok: false, inconclusive: true, expected, got: `no row for ${who} (rows: ${names})`, evidence };
    }
    const op = row["srv_op_state"] ?? "?";
    const got = `${row["be_name"]}/${row["srv_name"]} ${row["srv_fqdn"] ?? row["srv_addr"]}:${row["srv_port"]} addr=${row["srv_addr"]} op_state=${op} (${OP_STATES[op] ?? "?"})`;
    let ok = true;
    if (args.port !== undefined && row["srv_port"] !== String(args.port)) ok = false;
    if (args.address !== undefined && row["srv_addr"] !== args.address) ok = false;
    if (args.running !== undefined && (op === "2") !== args.running) ok = false;
    return { ok, expected, got, evidence };
  },
});
