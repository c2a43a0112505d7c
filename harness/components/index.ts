/** The component registry: one line per kind. */
import type { ComponentDef } from "../registry.ts";
import haproxy from "./haproxy.ts";
import longPollClient from "./long-poll-client.ts";
import longPollUpstream from "./long-poll-upstream.ts";
import tlsBackend from "./tls-backend.ts";
import tlsTerminator from "./tls-terminator.ts";
import toolbox from "./toolbox.ts";

export const components: readonly ComponentDef[] = [haproxy, tlsBackend, toolbox, tlsTerminator, longPollUpstream, longPollClient];
