/**
 * idle-cutter: a middlebox that forgets flows that have been idle too long, in two real ways.
 *
 * - `conntrack`: a router container on two networks. The kernel's connection tracking forgets an
 *   established flow after `idle` (net.netfilter.nf_conntrack_tcp_timeout_established, set per
 *   network namespace), `nf_conntrack_tcp_loose=0` keeps it from adopting mid-stream packets, and
 *   `iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP` drops what comes after: silently,
 *   like a cloud firewall, or with a RST (`onIdle: reset`). TCP keepalive probes are packets, so
 *   they refresh the flow; application silence does not. The endpoints route through it.
 * - `toxiproxy`: the real Toxiproxy server (v2.12.0) relays the connection; a watcher in the same
 *   container reads each socket's idle time from the kernel (`ss -ti`: lastsnd/lastrcv count data
 *   only) and, past `idle`, adds `timeout` toxics that drop everything from then on. Keepalive
 *   probes never reach it as data — the proxy's own kernel answers them — so they cannot save the
 *   flow: this is how an L7 proxy or load balancer with an idle timer behaves.
 *
 * Both capture every TCP packet that reaches the cutter (tcpdump, for the whole run) into the
 * run's artifacts, as the `segments` observable.
 */
import { z } from "zod";
import { ScenarioRuntimeError } from "../errors.ts";
import { parsePcap, type TcpSegment } from "../observe/pcap.ts";
import { defineComponent, type ComponentInstance, type StepContext } from "../registry.ts";
import { componentRef, incidentDuration } from "../schema/types.ts";

const CAPTURE = "/tmp/netrepro-capture.pcap";

const CONNTRACK_SCRIPT = `#!/bin/sh
set -eu
iptables -P FORWARD ACCEPT
if [ "$ON_IDLE" = reset ]; then
  iptables -A FORWARD -p tcp -m conntrack --ctstate INVALID -j REJECT --reject-with tcp-reset
fi
iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP
iptables -A FORWARD -m conntrack --ctstate NEW,ESTABLISHED,RELATED -j ACCEPT
if [ "$CAPTURE" = 1 ]; then
  tcpdump -i any -n -s 160 -U -w ${CAPTURE} tcp 2>/tmp/tcpdump.log &
  i=0; until [ -s ${CAPTURE} ] || [ $i -gt 50 ]; do i=$((i+1)); sleep 0.05; done
fi
echo "netrepro-cutter: ready: conntrack forgets established flows idle $(cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established) s; loose=$(cat /proc/sys/net/netfilter/nf_conntrack_tcp_loose); INVALID packets: $ON_IDLE"
exec sleep infinity
`;

const schema = z.strictObject({
  mode: z.enum(["conntrack", "toxiproxy"]).default("conntrack").describe("conntrack: kernel connection tracking in a router; toxiproxy: the Toxiproxy server with an idle watcher"),
  idle: incidentDuration("the idle limit: flows silent this long are cut", {
    resolutionMs: 1000,
    whole: true,
    mechanism: "the conntrack established-flow timeout (whole seconds)",
    role: "idle-limit",
  }),
  client: componentRef("the endpoint that opens the connection"),
  server: componentRef("the endpoint that accepts it"),
  port: z.number().int().min(1).max(65535).describe("the server's port (toxiproxy mode listens on the same port)"),
  onIdle: z.enum(["drop", "reset"]).default("drop").describe("conntrack mode: what happens to packets of a forgotten flow"),
  halfClosed: incidentDuration("conntrack mode: how long half-closed flows (close_wait, fin_wait, last_ack) are kept", {
    resolutionMs: 1000,
    whole: true,
    mechanism: "conntrack timeouts (whole seconds)",
  }).optional(),
  capture: z.boolean().default(true).describe("capture every TCP packet reaching the cutter into the run's artifacts"),
});
type Spec = z.output<typeof schema>;

async function addRoutes(instance: ComponentInstance, spec: Spec, ctx: StepContext) {
  const me = instance.container;
  const pairs: [string, string][] = [
    [spec.client.name, spec.server.name],
    [spec.server.name, spec.client.name],
  ];
  for (const [from, to] of pairs) {
    const e = ctx.component(from).container;
    const shared = e.networks().find((n) => me.networks().includes(n))!;
    for (const n of ctx.component(to).container.networks()) {
      if (e.networks().includes(n)) continue;
      const { subnet } = ctx.network(n);
      const via = me.ip(shared);
      const res = await e.exec(["ip", "route", "replace", subnet, "via", via]);
      if (res.exitCode !== 0) {
        throw new ScenarioRuntimeError(
          `component \`${instance.name}\` (idle-cutter): cannot route ${from} → ${n} (${subnet}) via ${via}: ${res.stderr.trim()}` +
            ` (does \`${from}\` have capAdd: [NET_ADMIN]?)`,
        );
      }
      ctx.note(`${from}: ${subnet} via ${instance.name} (${via})`);
    }
  }
}

export function segmentsOf(instance: ComponentInstance): readonly TcpSegment[] {
  return (instance.state.get("segments") as TcpSegment[] | undefined) ?? [];
}

export default defineComponent({
  kind: "idle-cutter",
  description:
    "Cuts flows idle longer than `idle`: kernel conntrack in a router between two networks (mode conntrack), " +
    "or the Toxiproxy server with an idle watcher (mode toxiproxy). Captures the TCP packets it sees.",
  images: ["tools", "toxiproxy"],
  schema,
  validate(spec, scenario) {
    const problems: { path: (string | number)[]; message: string }[] = [];
    const me = scenario.components.find((c) => c.spec === (spec as unknown))!;
    const find = (n: string) => scenario.components.find((c) => c.name === n);
    const client = find(spec.client.name);
    const server = find(spec.server.name);
    if (!client || !server) return problems; // unknown names are reported with the references
    for (const [field, e] of [["client", client], ["server", server]] as const) {
      if (!e.networks.some((n) => me.networks.includes(n))) {
        problems.push({ path: [field], message: `\`${e.name}\` shares no network with the cutter; put both on one of ${me.networks.join(", ")}` });
      }
    }
    if (spec.mode === "conntrack") {
      if (me.networks.length < 2) problems.push({ path: ["networks"], message: "a conntrack cutter routes between networks: give it two (networks: [client-side, server-side])" });
      const both = client.networks.filter((n) => server.networks.includes(n));
      if (both.length) problems.push({ path: ["server"], message: `\`${client.name}\` and \`${server.name}\` share network ${both.join(", ")}, so their traffic would not cross the cutter` });
      for (const [field, e] of [["client", client], ["server", server]] as const) {
        if (!e.capabilities.includes("NET_ADMIN") && !e.capabilities.includes("ALL")) {
          problems.push({ path: [field], message: `\`${e.name}\` routes through the cutter and needs capAdd: [NET_ADMIN]` });
        }
      }
    }
    return problems;
  },
  container(spec) {
    if (spec.mode === "toxiproxy") {
      return {
        image: "toxiproxy",
        command: ["netrepro-toxiproxy", "--idle-ms", String(spec.idle.ms), "--capture", spec.capture ? CAPTURE : ""],
        capAdd: ["NET_ADMIN", "NET_RAW"],
        ready: { log: /^netrepro-toxiproxy: ready/ },
      };
    }
    const sysctls: Record<string, string> = {
      "net.ipv4.ip_forward": "1",
      "net.netfilter.nf_conntrack_tcp_timeout_established": String(spec.idle.seconds),
      "net.netfilter.nf_conntrack_tcp_loose": "0",
    };
    if (spec.halfClosed) {
      for (const k of ["close_wait", "fin_wait", "last_ack"]) sysctls[`net.netfilter.nf_conntrack_tcp_timeout_${k}`] = String(spec.halfClosed.seconds);
    }
    return {
      image: "tools",
      command: ["/usr/local/bin/netrepro-cutter"],
      files: [{ path: "/usr/local/bin/netrepro-cutter", content: CONNTRACK_SCRIPT, mode: 0o755 }],
      env: { ON_IDLE: spec.onIdle, CAPTURE: spec.capture ? "1" : "0" },
      capAdd: ["NET_ADMIN", "NET_RAW"],
      sysctls,
      ready: { log: /^netrepro-cutter: ready/ },
    };
  },
  async afterStart(instance, ctx) {
    const spec = instance.spec as unknown as Spec;
    const serverIp = ctx.component(spec.server.name).container.ip();
    const client = ctx.component(spec.client.name).container;
    const clientSide = instance.container.networks().find((n) => client.networks().includes(n))!;
    instance.state.set("serverIp", serverIp);
    instance.state.set("clientSideIp", instance.container.ip(clientSide));
    if (spec.mode === "conntrack") {
      await addRoutes(instance, spec, ctx);
      // The host (a driver in the harness's own process) reaches the server through the cutter
      // at the cutter's client-side address. Masquerading those flows makes the server answer the
      // cutter directly (the host's address belongs to the host's own bridges); the flow is still
      // one conntrack entry with the same idle timeout.
      const me = instance.container.ip(clientSide);
      for (const rule of [
        ["-t", "nat", "-A", "PREROUTING", "-p", "tcp", "-d", me, "--dport", String(spec.port), "-j", "DNAT", "--to-destination", `${serverIp}:${spec.port}`],
        ["-t", "nat", "-A", "POSTROUTING", "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"],
      ]) {
        const res = await instance.container.exec(["iptables", ...rule]);
        if (res.exitCode !== 0) throw new ScenarioRuntimeError(`component \`${instance.name}\`: iptables ${rule.join(" ")} failed: ${res.stderr.trim()}`);
      }
      return;
    }
    const upstream = `${ctx.component(spec.server.name).container.ip()}:${spec.port}`;
    const res = await instance.container.exec(["netrepro-toxiproxy-proxy", "idle-cut", `0.0.0.0:${spec.port}`, upstream]);
    if (res.exitCode !== 0) throw new ScenarioRuntimeError(`component \`${instance.name}\`: creating the proxy to ${upstream} failed: ${res.stderr || res.stdout}`);
    ctx.note(`${instance.name}: toxiproxy relays :${spec.port} to ${upstream}; flows idle ${spec.idle.toString()} get timeout toxics`);
  },
  async collect(instance, ctx) {
    const spec = instance.spec as unknown as Spec;
    if (!spec.capture) return;
    await instance.container.exec(["sh", "-c", "pkill -INT tcpdump; sleep 0.2"]);
    const pcap = await instance.container.readFile(CAPTURE);
    ctx.artifact(`captures/${instance.name}.pcap`, pcap);
    instance.state.set("segments", parsePcap(pcap));
  },
  attributes: {
    address: {
      description: "host:port a client uses to reach the server through the cutter",
      get(instance) {
        const spec = instance.spec as unknown as Spec;
        return spec.mode === "toxiproxy" ? `${instance.container.ip()}:${spec.port}` : `${String(instance.state.get("serverIp"))}:${spec.port}`;
      },
    },
    hostAddress: {
      description: "host:port the harness's own process (a host-side driver) uses to reach the server through the cutter",
      get(instance) {
        return `${String(instance.state.get("clientSideIp"))}:${(instance.spec as unknown as Spec).port}`;
      },
    },
  },
  actions: {},
  observables: {
    segments: { description: "every TCP segment the cutter saw (tcpdump), with whether it crossed", read: segmentsOf },
  },
});
