/** The fault registry: one line per kind. */
import type { FaultDef } from "../registry.ts";

export const faults: readonly FaultDef[] = [];
