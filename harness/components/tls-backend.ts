/**
 * tls-backend: TLS and HTTP listeners on several ports (docker/tools/backend.py) that record, per
 * connection, the first bytes it sent and any PROXY v2 header, so a scenario can assert what
 * really arrived on a port.
 */
import { z } from "zod";
import { defineComponent, type ComponentInstance } from "../registry.ts";

export const LISTENER_MODES = ["http", "tls", "proxy-v2+tls", "proxy-v2+http", "tcp"] as const;

/** One accepted connection as the backend saw it. */
export interface ConnectionRecord {
  at: number;
  port: number;
  peer: string;
  firstBytes: string;
  proxy: { version: number; src: string | null; dst: string | null } | null;
  tlsError?: string;
  error?: string;
  status?: number;
  client?: string;
}

export function readConnections(instance: ComponentInstance): ConnectionRecord[] {
  const byPeer = new Map<string, ConnectionRecord>();
  const out: ConnectionRecord[] = [];
  for (const l of instance.container.logLines()) {
    if (l.stream !== "stdout" || !l.line.startsWith("{")) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(l.line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const key = `${String(e["port"])}/${String(e["peer"])}`;
    if (e["event"] === "conn") {
      const rec: ConnectionRecord = {
        at: Math.round(Number(e["t"]) * 1000),
        port: Number(e["port"]),
        peer: String(e["peer"]),
        firstBytes: String(e["first_bytes"] ?? ""),
        proxy: (e["proxy"] as ConnectionRecord["proxy"]) ?? null,
      };
      byPeer.set(key, rec);
      out.push(rec);
      continue;
    }
    const rec = byPeer.get(key);
    if (!rec) continue;
    if (e["event"] === "tls-error") rec.tlsError = String(e["error"]);
    else if (e["event"] === "error" || e["event"] === "proxy-error") rec.error = String(e["error"]);
    else if (e["event"] === "response") {
      rec.status = Number(e["status"]);
      rec.client = String(e["client"]);
    }
  }
  return out;
}

export default defineComponent({
  kind: "tls-backend",
  description:
    "TLS/HTTP listeners that record what each connection sent first and any PROXY v2 header " +
    "(a self-signed certificate for its own name is made at start).",
  images: ["tools"],
  schema: z.strictObject({
    listeners: z
      .array(
        z.strictObject({
          port: z.number().int().min(1).max(65535),
          mode: z.enum(LISTENER_MODES).describe("what the listener expects from each connection"),
        }),
      )
      .min(1),
  }),
  container(spec, ctx) {
    return {
      image: "tools",
      command: ["netrepro-backend", ...spec.listeners.map((l) => `${l.port}:${l.mode}`)],
      env: { BACKEND_CN: ctx.name },
      ready: { log: /"event":"ready"/ },
    };
  },
  actions: {},
  observables: {
    connections: {
      description: "one record per accepted connection: port, peer, first bytes (hex), PROXY header, TLS error, response",
      read: readConnections,
    },
  },
});
