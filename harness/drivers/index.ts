/** The driver registry: one line per kind. */
import type { DriverDef } from "../registry.ts";
import dockerAttach from "./docker-attach.ts";
import dockerodeAttach from "./dockerode-attach.ts";
import exec from "./exec.ts";
import longPoll from "./long-poll.ts";

export const drivers: readonly DriverDef[] = [exec, dockerAttach, dockerodeAttach, longPoll];
