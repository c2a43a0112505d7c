/**
 * The four extension points, all of one shape: a kind, a description, a zod schema of the
 * fields a scenario writes, and the behaviour. The scenario schema, its JSON Schema, `netrepro
 * list` and the format reference are all built from these definitions.
 */
import type { z } from "zod";
import type { Duration, FixtureRef } from "./schema/types.ts";
import type { Timeline } from "./observe/timeline.ts";
import type { ContainerSpec, NetworkInfo, RunContainer } from "./runtime/types.ts";
import type { GeneratedCertificate } from "./runtime/certs.ts";

// ------------------------------------------------------------------ shared contexts

export interface ComponentInstance {
  readonly name: string;
  readonly kind: string;
  readonly container: RunContainer;
  /** The validated fields of this component in the scenario. */
  readonly spec: Record<string, unknown>;
  /** Per-instance scratch state owned by the component's definition. */
  readonly state: Map<string, unknown>;
}

/** What a component sees while its container is being made. */
export interface SetupContext {
  readonly runId: string;
  readonly name: string;
  readonly scenarioDir: string;
  /** A fixture's text, with the variant's params substituted. */
  fixture(ref: FixtureRef): string;
  /** What the kind's `prepare` returned (an image it built), when it has one. */
  readonly prepared?: string;
  /** A certificate the scenario declares, as generated for this run. */
  certificate(name: string): GeneratedCertificate;
}

/** What a component's `prepare` sees: the set-up context and a progress log. */
export interface PrepareContext extends SetupContext {
  log(line: string): void;
}

/** What actions, drivers and faults see while the timeline runs. */
export interface StepContext {
  readonly runId: string;
  readonly timeline: Timeline;
  readonly artifactsDir: string;
  readonly signal: AbortSignal;
  readonly timescale: number;
  /** Labels for anything a kind creates through the Docker API itself. */
  readonly labels: Readonly<Record<string, string>>;
  component(name: string): ComponentInstance;
  /** A network of the run: its engine name, subnet and gateway. */
  network(name: string): NetworkInfo;
  fixture(ref: FixtureRef): string;
  /** A certificate the scenario declares, as generated for this run. */
  certificate(name: string): GeneratedCertificate;
  /** Writes a file into the run's artifacts folder and returns its path relative to it. */
  artifact(relPath: string, content: string | Buffer): string;
  note(text: string): void;
}

/** What a step leaves behind for expectations. */
export interface StepObservation {
  id: string;
  /** "exec", "action:reload", ... */
  kind: string;
  startedAt: number;
  durationMs: number;
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** Structured output, for expectations that understand it. */
  data?: unknown;
  error?: string;
  /** Artifact file with the full record, relative to the run's folder. */
  artifact?: string;
}

export type StepOutput = Omit<StepObservation, "id" | "kind" | "startedAt" | "durationMs" | "artifact"> &
  Partial<Pick<StepObservation, "startedAt" | "durationMs">>;

export interface ExpectContext {
  step(id: string): StepObservation;
  component(name: string): ComponentInstance;
  /** Records of a component's observable ("connections", ...). */
  observe(component: string, observable: string): readonly unknown[];
  /** Artifact path of a component's log, for evidence. */
  logArtifact(component: string): string;
}

export interface Verdict {
  ok: boolean;
  /** The observation needed was missing: neither the check nor its negation holds. */
  inconclusive?: boolean;
  expected: string;
  got: string;
  /** Where to look: artifact paths, optionally with a line ("components/lb.log:12"). */
  evidence: string[];
}

// ------------------------------------------------------------------ components

export interface ActionDef<A extends z.ZodObject = z.ZodObject> {
  description: string;
  schema: A;
  run(instance: ComponentInstance, args: z.output<A>, ctx: StepContext): Promise<StepOutput>;
}

export interface ComponentDef<S extends z.ZodObject = z.ZodObject> {
  kind: string;
  description: string;
  /** Image folders under docker/ this component runs. */
  images: readonly string[];
  schema: S;
  /**
   * Runs before any container of the run starts (all components' together): builds what the
   * container needs, such as an image from the scenario's sources. What it returns reaches
   * `container` as `ctx.prepared`.
   */
  prepare?(spec: z.output<S>, ctx: PrepareContext): Promise<string>;
  container(spec: z.output<S>, ctx: SetupContext): ContainerSpec;
  /** Runs once the container is ready, before any step. */
  afterStart?(instance: ComponentInstance, ctx: StepContext): Promise<void>;
  /** Runs after the timeline (also after a failure), before expectations: copy captures out, and such. */
  collect?(instance: ComponentInstance, ctx: StepContext): Promise<void>;
  /**
   * Timers of the real software that the timescale does not compress (dockerd's 15 s TCP
   * keepalive, say). The plan refuses scaled idle limits that such a timer would defeat.
   */
  fixedTimers?: readonly { description: string; everyMs: number }[];
  actions: Record<string, ActionDef>;
  /**
   * Runtime values other components and steps can refer to as `${name.attribute}`, besides ip,
   * name and id (an idle cutter's `address`: how to reach the server through it).
   */
  attributes?: Record<string, { description: string; get(instance: ComponentInstance): string }>;
  /** Capabilities containers of this kind always have (so the plan can check what others require). */
  capabilities?: readonly string[];
  /** Checks against the rest of the scenario, before anything starts. Paths are relative to the component. */
  validate?(spec: z.output<S>, scenario: ScenarioView): { path: (string | number)[]; message: string }[];
  /** Named record lists that expectations can read ("connections"). The log is always there. */
  observables: Record<string, { description: string; read(instance: ComponentInstance): readonly unknown[] }>;
}

/** What a component's `validate` sees of the rest of the scenario. */
export interface ScenarioView {
  components: readonly {
    name: string;
    kind: string;
    spec: Record<string, unknown>;
    networks: readonly string[];
    capabilities: readonly string[];
  }[];
}

export function defineAction<A extends z.ZodObject>(def: ActionDef<A>): ActionDef {
  return def as unknown as ActionDef;
}

export function defineComponent<S extends z.ZodObject>(def: ComponentDef<S>): ComponentDef {
  return def as unknown as ComponentDef;
}

// ------------------------------------------------------------------ drivers

export interface DriverDef<S extends z.ZodObject = z.ZodObject> {
  kind: string;
  description: string;
  schema: S;
  /** Image folders under docker/ this driver needs (beyond the components it runs in). */
  images?: readonly string[];
  /** Runs during set-up, before any step (build a client program, say), so steps time only their work. */
  prepare?(args: z.output<S>, ctx: StepContext): Promise<void>;
  run(args: z.output<S>, ctx: StepContext): Promise<StepOutput>;
}

export function defineDriver<S extends z.ZodObject>(def: DriverDef<S>): DriverDef {
  return def as unknown as DriverDef;
}

// ------------------------------------------------------------------ faults

export type Revert = () => Promise<void>;

export interface FaultDef<S extends z.ZodObject = z.ZodObject> {
  kind: string;
  description: string;
  schema: S;
  /** Applies the fault and returns how to undo it; the runtime calls the revert at teardown. */
  apply(args: z.output<S>, ctx: StepContext): Promise<Revert>;
}

export function defineFault<S extends z.ZodObject>(def: FaultDef<S>): FaultDef {
  return def as unknown as FaultDef;
}

// ------------------------------------------------------------------ expectations

export interface ExpectationDef<S extends z.ZodObject = z.ZodObject> {
  kind: string;
  description: string;
  schema: S;
  evaluate(args: z.output<S>, ctx: ExpectContext): Verdict;
}

export function defineExpectation<S extends z.ZodObject>(def: ExpectationDef<S>): ExpectationDef {
  return def as unknown as ExpectationDef;
}

export type { Duration };
