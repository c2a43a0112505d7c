/**
 * The engine connection. testcontainers finds the engine (DOCKER_HOST, the default socket,
 * ~/.testcontainers.properties); its dockerode instance serves the calls where the Docker API
 * itself is the subject (logs, builds, attach).
 */
import { hostname } from "node:os";
import type Dockerode from "dockerode";
import { getContainerRuntimeClient, getReaper, type ContainerRuntimeClient } from "testcontainers";
import { EnvironmentError, errorMessage } from "../errors.ts";

// The Ryuk reaper image cannot be pulled everywhere; netrepro removes what it creates by label.
process.env["TESTCONTAINERS_RYUK_DISABLED"] ??= "true";

export const LABEL_RUN = "netrepro.run";

export interface Engine {
  client: ContainerRuntimeClient;
  docker: Dockerode;
}

let enginePromise: Promise<Engine> | undefined;

export function engine(): Promise<Engine> {
  enginePromise ??= (async () => {
    try {
      const client = await getContainerRuntimeClient();
      // Once, up front: concurrent first starts would otherwise queue on testcontainers' reaper lock file.
      await getReaper(client);
      return { client, docker: client.container.dockerode };
    } catch (err) {
      enginePromise = undefined;
      const where = process.env["DOCKER_HOST"] ? `DOCKER_HOST=${process.env["DOCKER_HOST"]}` : "the default socket";
      throw new EnvironmentError(
        `no Docker engine answers at ${where}: ${errorMessage(err)}. Start Docker, or run \`npm run setup\` ` +
          "(it installs and starts an engine on a bare Debian machine)",
        { cause: err },
      );
    }
  })();
  return enginePromise;
}

/** Labels that let anyone find, attribute and clean up what a run created. */
export function runLabels(runId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [LABEL_RUN]: runId,
    "netrepro.pid": String(process.pid),
    "netrepro.host": hostname(),
    "netrepro.started": String(Math.floor(Date.now() / 1000)),
    ...(process.env["NETREPRO_SUITE"] ? { "netrepro.suite": process.env["NETREPRO_SUITE"] } : {}),
    ...extra,
  };
}
