/** The component registry: one line per kind. */
import type { ComponentDef } from "../registry.ts";
import dockerDaemon from "./docker-daemon.ts";
import dockerRegistry from "./docker-registry.ts";
import goProgram from "./go-program.ts";
import haproxy from "./haproxy.ts";
import idleCutter from "./idle-cutter.ts";
import longPollClient from "./long-poll-client.ts";
import longPollUpstream from "./long-poll-upstream.ts";
import tlsBackend from "./tls-backend.ts";
import tlsTerminator from "./tls-terminator.ts";
import toolbox from "./toolbox.ts";
import toxiproxy from "./toxiproxy.ts";

export const components: readonly ComponentDef[] = [
  haproxy,
  tlsBackend,
  toolbox,
  dockerDaemon,
  idleCutter,
  toxiproxy,
  goProgram,
  dockerRegistry,
  tlsTerminator,
  longPollUpstream,
  longPollClient,
];
