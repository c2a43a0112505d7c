/** tcp-segments: what a packet capture shows of the flows to a port — keepalive probes, retransmissions, resets. */
import { z } from "zod";
import { classify, type SegmentKind, type TcpSegment } from "../observe/pcap.ts";
import { defineExpectation } from "../registry.ts";
import { componentRef } from "../schema/types.ts";

const KINDS = ["keepalive", "retransmission", "data", "rst", "fin", "syn", "ack"] as const satisfies readonly SegmentKind[];

export default defineExpectation({
  kind: "tcp-segments",
  description:
    "Counts TCP segments a capturing component (an idle-cutter) saw on the flows to a port: by kind (keepalive probe, " +
    "retransmission, data, rst…), by side (sent by the client or the server) and by whether they crossed it or were dropped there.",
  schema: z
    .strictObject({
      on: componentRef("the component that captured the packets", { observable: "segments" }),
      port: z.number().int().min(1).max(65535).describe("the server port of the flows"),
      segment: z.enum(KINDS).describe("which segments to count"),
      side: z.enum(["client", "server", "either"]).default("either").describe("who sent them: client (toward the port) or server"),
      crossed: z.boolean().optional().describe("true: only segments that crossed the cutter; false: only ones it dropped"),
      min: z.number().int().min(0).optional(),
      max: z.number().int().min(0).optional(),
    })
    .refine((v) => v.min !== undefined || v.max !== undefined, { message: "give min, max or both" }),
  evaluate(args, ctx) {
    const raw = ctx.observe(args.on.name, "segments") as TcpSegment[];
    const all = classify(raw, args.port);
    const hits = all.filter(
      (s) => s.kind === args.segment && (args.side === "either" || s.side === args.side) && (args.crossed === undefined || s.crossed === args.crossed),
    );
    const n = hits.length;
    const ok = (args.min === undefined || n >= args.min) && (args.max === undefined || n <= args.max);
    const who = args.side === "either" ? "" : ` from the ${args.side}`;
    const where = args.crossed === undefined ? "" : args.crossed ? " that crossed" : " dropped at";
    const bounds = args.min !== undefined && args.max !== undefined ? `${args.min}–${args.max}` : args.min !== undefined ? `≥ ${args.min}` : `≤ ${args.max}`;
    const expected = `${bounds} ${args.segment} segments${who}${where} \`${args.on.name}\` on flows to :${args.port}`;
    const t0 = raw[0]?.at ?? 0;
    const when = hits.slice(0, 5).map((s) => `+${((s.at - t0) / 1000).toFixed(2)}s`).join(", ");
    const summary = `${all.length} segments on :${args.port}, ${all.filter((s) => !s.crossed).length} dropped`;
    return {
      ok,
      ...(raw.length === 0 ? { inconclusive: true } : {}),
      expected,
      got: raw.length === 0 ? "no packets were captured" : `${n}${n ? ` (at ${when}${n > 5 ? ", …" : ""})` : ""}; ${summary}`,
      evidence: [`captures/${args.on.name}.pcap`],
    };
  },
});
