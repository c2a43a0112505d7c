/** toxic: one Toxiproxy toxic on a proxy of a `toxiproxy` component, removed at teardown. */
import { z } from "zod";
import { toxiproxyApi } from "../components/toxiproxy.ts";
import { defineFault } from "../registry.ts";
import type { ToxicAttributes } from "../runtime/toxiproxy.ts";
import { componentRef, incidentDuration } from "../schema/types.ts";

const ms = (what: string) => incidentDuration(what, { resolutionMs: 1, mechanism: "Toxiproxy's millisecond timers" });

const toxic = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("latency"), latency: ms("added delay"), jitter: ms("± jitter").prefault("0ms") }),
  z.strictObject({ type: z.literal("bandwidth"), rate: z.number().int().min(0).describe("KB/s") }),
  z.strictObject({ type: z.literal("slow_close"), delay: ms("delay before the socket closes") }),
  z.strictObject({ type: z.literal("timeout"), timeout: ms("stop all data, close after this long (0ms: never close)") }),
  z.strictObject({ type: z.literal("reset_peer"), timeout: ms("reset the connection after this long") }),
  z.strictObject({
    type: z.literal("slicer"),
    averageSize: z.number().int().min(1).describe("bytes per slice"),
    sizeVariation: z.number().int().min(0).default(0).describe("bytes"),
    delay: incidentDuration("delay between slices", { resolutionMs: 0.001, mechanism: "Toxiproxy's microsecond slicer delay" }).prefault("0ms"),
  }),
  z.strictObject({ type: z.literal("limit_data"), bytes: z.number().int().min(0).describe("close the connection after this many bytes") }),
]);

function attributes(t: z.output<typeof toxic>): ToxicAttributes {
  switch (t.type) {
    case "latency":
      return { type: t.type, latency: Math.round(t.latency.ms), jitter: Math.round(t.jitter.ms) };
    case "bandwidth":
      return { type: t.type, rate: t.rate };
    case "slow_close":
      return { type: t.type, delay: Math.round(t.delay.ms) };
    case "timeout":
    case "reset_peer":
      return { type: t.type, timeout: Math.round(t.timeout.ms) };
    case "slicer":
      return { type: t.type, average_size: t.averageSize, size_variation: t.sizeVariation, delay: Math.round(t.delay.ms * 1000) };
    case "limit_data":
      return { type: t.type, bytes: t.bytes };
  }
}

export default defineFault({
  kind: "toxic",
  description:
    "Adds a Toxiproxy toxic (latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data) to a proxy of a " +
    "`toxiproxy` component; it is removed at teardown. Durations are incident time.",
  schema: z.strictObject({
    on: componentRef("the toxiproxy component", { kinds: ["toxiproxy"] }),
    proxy: z.string().describe("the proxy's name"),
    name: z.string().optional().describe("the toxic's name; default: its type and stream"),
    stream: z.enum(["downstream", "upstream"]).default("downstream").describe("downstream: server → client; upstream: client → server"),
    toxicity: z.number().min(0).max(1).default(1).describe("the share of connections affected"),
    toxic,
  }),
  async apply(args, ctx) {
    const api = toxiproxyApi(ctx.component(args.on.name));
    const attrs = attributes(args.toxic);
    const name = args.name ?? `${attrs.type}-${args.stream}`;
    const remove = await api.addToxic({ proxy: args.proxy, name, stream: args.stream, toxicity: args.toxicity, toxic: attrs });
    ctx.note(`toxic ${name} on ${args.on.name}/${args.proxy}: ${JSON.stringify(attrs)}`);
    return remove;
  },
});
