/** The fault registry: one line per kind. */
import type { FaultDef } from "../registry.ts";
import toxic from "./toxic.ts";

export const faults: readonly FaultDef[] = [toxic];
