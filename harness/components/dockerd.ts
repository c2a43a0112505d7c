/**
 * dockerd: a Docker daemon (Debian's Docker 20.10) inside the run, for image operations a
 * scenario drives with the docker CLI in `exec` steps: import, push, pull. It listens on its
 * socket and on tcp/2375 (plain HTTP, for proxies in front of it). It runs without --privileged,
 * which some hosts refuse, with every capability but SYS_RESOURCE and vfs storage; it has no
 * bridge or iptables of its own, so it does not run containers.
 */
import { z } from "zod";
import { defineComponent } from "../registry.ts";

export const DOCKERD_API_PORT = 2375;

export default defineComponent({
  kind: "dockerd",
  description:
    "A Docker daemon (Debian's 20.10) for image operations driven by `exec` steps with the docker CLI (import, push, pull); " +
    "its API is also on tcp/2375 for a proxy in front of it. Unprivileged (all capabilities but SYS_RESOURCE, vfs storage); it runs no containers.",
  images: ["dockerd"],
  schema: z.strictObject({
    insecureRegistries: z
      .array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, { message: "expected host or host:port" }))
      .optional()
      .describe("registries spoken to over plain HTTP (`--insecure-registry`), such as registry:5000"),
  }),
  container(spec) {
    return {
      image: "dockerd",
      command: [
        "dockerd",
        "--tls=false", // without it, dockerd waits 15 s before listening on TCP without TLS
        "--storage-driver=vfs",
        "--iptables=false",
        "--bridge=none",
        "-H",
        "unix:///var/run/docker.sock",
        "-H",
        `tcp://0.0.0.0:${DOCKERD_API_PORT}`,
        ...(spec.insecureRegistries ?? []).flatMap((r) => ["--insecure-registry", r]),
      ],
      capAdd: ["ALL"],
      capDrop: ["SYS_RESOURCE"],
      securityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
      ready: { exec: ["docker", "version"] },
    };
  },
  actions: {},
  observables: {},
});
