/** connections: what arrived on a port of a component that records its connections (tls-backend). */
import { z } from "zod";
import { defineExpectation } from "../registry.ts";
import type { ConnectionRecord } from "../components/tls-backend.ts";
import { componentRef } from "../schema/types.ts";

const hex = z
  .string()
  .regex(/^([0-9a-fA-F]{2})+$/, { message: "expected bytes in hex, such as 0d0a0d0a" })
  .transform((s) => s.toLowerCase());

const schema = z.strictObject({
  on: componentRef("the component that recorded the connections", { observable: "connections" }),
  port: z.number().int().min(1).max(65535),
  match: z
    .enum(["some", "all", "none"])
    .default("some")
    .describe("some: at least one connection matches; all: there are connections and all match; none: no connection matches"),
  firstBytes: hex.optional().describe("the connection's first bytes start with these (hex)"),
  proxySource: z.string().optional().describe("the PROXY header's source address is this IP (or ip:port)"),
  status: z.number().int().optional().describe("the backend answered with this HTTP status"),
  tlsFailed: z.boolean().optional().describe("the TLS handshake failed (true) or did not (false)"),
});

type Args = z.output<typeof schema>;

function matches(c: ConnectionRecord, a: Args): boolean {
  if (a.firstBytes !== undefined && !c.firstBytes.startsWith(a.firstBytes)) return false;
  if (a.proxySource !== undefined) {
    const src = c.proxy?.src ?? "";
    if (src !== a.proxySource && !src.startsWith(`${a.proxySource}:`)) return false;
  }
  if (a.status !== undefined && c.status !== a.status) return false;
  if (a.tlsFailed !== undefined && (c.tlsError !== undefined) !== a.tlsFailed) return false;
  return true;
}

function describe(a: Args): string {
  const parts: string[] = [];
  if (a.firstBytes !== undefined) parts.push(`first bytes start with ${a.firstBytes}`);
  if (a.proxySource !== undefined) parts.push(`PROXY source ${a.proxySource}`);
  if (a.status !== undefined) parts.push(`answered ${a.status}`);
  if (a.tlsFailed !== undefined) parts.push(a.tlsFailed ? "TLS handshake failed" : "TLS handshake succeeded");
  return parts.length ? parts.join(", ") : "any connection";
}

function summarize(c: ConnectionRecord): string {
  const proxy = c.proxy ? ` proxy-v2 src=${c.proxy.src}` : "";
  const tls = c.tlsError ? ` tls-error="${c.tlsError}"` : "";
  const status = c.status !== undefined ? ` status=${c.status}` : "";
  return `from ${c.peer} first=${c.firstBytes.slice(0, 32) || "(none)"}${proxy}${tls}${status}`;
}

export default defineExpectation({
  kind: "connections",
  description: "Connections a component recorded on a port: their first bytes, PROXY header, TLS outcome and response.",
  schema,
  evaluate(args, ctx) {
    const all = ctx.observe(args.on.name, "connections") as ConnectionRecord[];
    const onPort = all.filter((c) => c.port === args.port);
    const hits = onPort.filter((c) => matches(c, args));
    const ok =
      args.match === "some" ? hits.length > 0 : args.match === "all" ? onPort.length > 0 && hits.length === onPort.length : hits.length === 0;
    const expected = `${args.match} connection${args.match === "some" ? "" : "s"} on \`${args.on.name}\`:${args.port}: ${describe(args)}`;
    const shown = (hits.length ? hits : onPort).slice(0, 3).map(summarize);
    const got =
      onPort.length === 0
        ? `no connection on port ${args.port} (${all.length} on other ports)`
        : `${hits.length} of ${onPort.length} match; ${shown.join("; ")}`;
    return { ok, expected, got, evidence: [ctx.logArtifact(args.on.name)] };
  },
});
