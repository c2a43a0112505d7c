/**
 * docker-daemon: a Docker Engine (Debian's 20.10) in a container. Its API is on 2376 over TLS
 * with client certificates generated per container (`api: tls`), or on 2375 in plain HTTP for a
 * proxy in front of it (`api: plain`). With `containers: true` it runs jobs (busybox is imported
 * at start); with `false` it has no bridge or iptables and does image operations only (import,
 * push, pull). Starts privileged where the engine allows it; where the sandbox refuses
 * --privileged ("unable to apply caps"), with explicit capabilities and a private cgroup
 * namespace instead, and the run says which.
 */
import { z } from "zod";
import { ScenarioRuntimeError } from "../errors.ts";
import { defineAction, defineComponent, type ComponentInstance } from "../registry.ts";

export const DOCKER_TLS_PORT = 2376;
export const DOCKER_PLAIN_PORT = 2375;
const CLIENT_FILES = ["ca.pem", "cert.pem", "key.pem"] as const;

/** The client certificate, key and CA for this daemon (ca.pem, cert.pem, key.pem). */
export async function clientCerts(instance: ComponentInstance): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of CLIENT_FILES) out.set(f, await instance.container.readFile(`/certs/client/${f}`));
  return out;
}

async function docker(instance: ComponentInstance, args: string[], what: string) {
  const res = await instance.container.exec(["docker", ...args], { timeoutMs: 60_000 });
  if (res.timedOut) throw new ScenarioRuntimeError(`component \`${instance.name}\` (docker-daemon): ${what} timed out`);
  return res;
}

export default defineComponent({
  kind: "docker-daemon",
  description:
    "A Docker Engine in a container with its API on TLS port 2376 (client certificates per container); " +
    "a busybox image is imported at start for jobs. Privileged where allowed, else explicit capabilities.",
  images: ["dind"],
  capabilities: ["ALL"],
  // Go (since 1.13) gives every accepted connection a 15 s TCP keepalive; dockerd uses that default.
  fixedTimers: [{ description: "dockerd's TCP keepalive on accepted API connections (Go's 15 s default)", everyMs: 15_000 }],
  schema: z.strictObject({
    api: z.enum(["tls", "plain"]).default("tls").describe("tls: port 2376 with client certificates; plain: port 2375, plain HTTP"),
    containers: z.boolean().default(true).describe("run containers (busybox imported); false: image operations only, no bridge"),
    insecureRegistries: z
      .array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, { message: "expected host or host:port" }))
      .optional()
      .describe("registries spoken to over plain HTTP (`--insecure-registry`), such as registry:5000"),
    storageDriver: z.enum(["vfs", "overlay2"]).default("vfs").describe("the inner engine's storage driver"),
  }),
  container(spec) {
    return {
      image: "dind",
      env: {
        DIND_STORAGE_DRIVER: spec.storageDriver,
        DIND_API: spec.api,
        DIND_CONTAINERS: spec.containers ? "1" : "0",
        DIND_INSECURE_REGISTRIES: (spec.insecureRegistries ?? []).join(" "),
      },
      // The inner engine's data on tmpfs: no volume to leave behind; exec, because images live there.
      tmpfs: { "/var/lib/docker": "exec,size=1g" },
      privileged: true,
      ready: { log: /^netrepro-dind: ready/ },
      fallback: {
        when: /unable to apply caps(: operation not permitted)?/i,
        describe: "started with explicit capabilities (all but CAP_SYS_RESOURCE), a private cgroup namespace and no seccomp/AppArmor, as --privileged is refused",
        spec: {
          privileged: false,
          capAdd: ["ALL"],
          capDrop: ["SYS_RESOURCE"],
          securityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
          unmaskPaths: true,
          cgroupns: "private",
        },
      },
    };
  },
  attributes: {
    address: {
      description: "host:port of the API (2376 with TLS, 2375 plain)",
      get: (i) => `${i.container.ip()}:${i.spec["api"] === "plain" ? DOCKER_PLAIN_PORT : DOCKER_TLS_PORT}`,
    },
  },
  actions: {
    "job-logs": defineAction({
      description: "`docker logs <container>` inside the daemon: what the engine itself recorded of a job's output.",
      schema: z.strictObject({ container: z.string().min(1).describe("the job container's name") }),
      async run(instance, args) {
        const res = await docker(instance, ["logs", args.container], "docker logs");
        return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
      },
    }),
    docker: defineAction({
      description: "Runs the docker CLI inside the daemon's container against its own engine.",
      schema: z.strictObject({ args: z.array(z.string()).min(1).describe("arguments to `docker`") }),
      async run(instance, args) {
        const res = await docker(instance, args.args, `docker ${args.args.join(" ")}`);
        return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
      },
    }),
  },
  observables: {},
});
