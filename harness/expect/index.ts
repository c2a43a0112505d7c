/** The expectation registry: one line per kind. */
import type { ExpectationDef } from "../registry.ts";
import connections from "./connections.ts";
import duration from "./duration.ts";
import exitCode from "./exit-code.ts";
import haproxyServerState from "./haproxy-server-state.ts";
import log from "./log.ts";
import output from "./output.ts";
import records from "./records.ts";
import tcpSegments from "./tcp-segments.ts";

export const expectations: readonly ExpectationDef[] = [exitCode, output, log, duration, connections, haproxyServerState, tcpSegments, records];
