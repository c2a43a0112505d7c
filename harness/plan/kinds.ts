/** The registries by kind, for the plan's lookups. */
import { components as componentDefs } from "../components/index.ts";
import { drivers as driverDefs } from "../drivers/index.ts";
import { expectations as expectationDefs } from "../expect/index.ts";
import { faults as faultDefs } from "../faults/index.ts";

const byKind = <T extends { kind: string }>(defs: readonly T[]) => new Map(defs.map((d) => [d.kind, d]));
export const COMPONENTS = byKind(componentDefs);
export const DRIVERS = byKind(driverDefs);
export const FAULTS = byKind(faultDefs);
export const EXPECTATIONS = byKind(expectationDefs);
