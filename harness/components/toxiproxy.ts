/**
 * toxiproxy: the real Toxiproxy server (v2.12.0, built from its Go module) as a component. Its
 * proxies are declared here; toxics are faults (`- fault: toxic`) added at a time or on an event
 * and removed at teardown. The harness drives it through its HTTP API (published for the host:
 * control traffic only; the proxied traffic stays on the run's networks).
 */
import { z } from "zod";
import { defineAction, defineComponent, type ComponentInstance } from "../registry.ts";
import { ToxiproxyApi } from "../runtime/toxiproxy.ts";

export const TOXIPROXY_API_PORT = 8474;

export function toxiproxyApi(instance: ComponentInstance): ToxiproxyApi {
  let api = instance.state.get("api") as ToxiproxyApi | undefined;
  if (!api) {
    const { host, port } = instance.container.mappedPort(TOXIPROXY_API_PORT);
    api = new ToxiproxyApi(`http://${host}:${port}`);
    instance.state.set("api", api);
  }
  return api;
}

export default defineComponent({
  kind: "toxiproxy",
  description: "The Toxiproxy server (v2.12.0). Declare its proxies here; add toxics with `- fault: toxic` steps.",
  images: ["toxiproxy"],
  schema: z.strictObject({
    proxies: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][a-z0-9-]*$/),
          listen: z.number().int().min(1).max(65535).describe("the port it listens on, on every network of the component"),
          upstream: z.string().regex(/^[^:]+:\d+$/, { message: "expected host:port" }).describe("where it forwards: host:port (a component's name works on a shared network)"),
        }),
      )
      .min(1),
  }),
  container() {
    return {
      image: "toxiproxy",
      command: ["toxiproxy-server", "-host", "0.0.0.0", "-port", String(TOXIPROXY_API_PORT)],
      publish: [TOXIPROXY_API_PORT],
      ready: { exec: ["curl", "-sf", `http://127.0.0.1:${TOXIPROXY_API_PORT}/version`] },
    };
  },
  async afterStart(instance, ctx) {
    const api = toxiproxyApi(instance);
    for (const p of instance.spec["proxies"] as { name: string; listen: number; upstream: string }[]) {
      await api.createProxy({ name: p.name, listen: `0.0.0.0:${p.listen}`, upstream: p.upstream });
      ctx.note(`${instance.name}: proxy ${p.name} :${p.listen} → ${p.upstream} (toxiproxy ${await api.version()})`);
    }
  },
  actions: {
    "set-enabled": defineAction({
      description: "Enables or disables a proxy: disabled, it closes its connections and refuses new ones (Toxiproxy's `down`).",
      schema: z.strictObject({ proxy: z.string(), enabled: z.boolean() }),
      async run(instance, args) {
        await toxiproxyApi(instance).setEnabled(args.proxy, args.enabled);
        return { stdout: `proxy ${args.proxy} ${args.enabled ? "enabled" : "disabled"}\n`, stderr: "", exitCode: 0 };
      },
    }),
  },
  observables: {},
});
