/**
 * The scenario format (version 1), assembled from the registries of components, drivers, faults
 * and expectations. The same schemas validate files, give the TypeScript types and generate the
 * JSON Schema for editors.
 */
import { z } from "zod";
import { components } from "../components/index.ts";
import { drivers } from "../drivers/index.ts";
import { expectations } from "../expect/index.ts";
import { faults } from "../faults/index.ts";
import { certificateRef, componentRef, incidentDuration, realDuration, slug, stepRef } from "./types.ts";

const stepId = slug.describe("a name for the step, so expectations and `wait` steps can refer to it");
const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const paramsSchema = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "expected a name of letters, digits and _" }), scalar)
  .describe("values substituted for ${name} in the scenario and its fixtures");

/** Fields every component has, whatever its kind. */
export const componentCommon = {
  networks: z.array(slug).min(1).optional().describe("networks to join; default: the first network"),
  dependsOn: z.array(slug).optional().describe("components that must be ready before this one starts"),
  readyTimeout: realDuration("how long the component may take to become ready").prefault("30s"),
  certificates: z
    .array(certificateRef("a certificate to install"))
    .optional()
    .describe(
      "certificates to install in the container: /etc/netrepro/certs/<name>.crt, <name>.chain.crt (with its " +
        "intermediates) and <name>.key",
    ),
  capAdd: z.array(z.string().regex(/^[A-Z_]+$/)).optional().describe("Linux capabilities to add, such as NET_ADMIN"),
  sysctls: z
    .record(z.string().regex(/^net\./, { message: "expected a namespaced net.* sysctl" }), z.union([z.string(), z.number()]))
    .optional()
    .describe("per-container network sysctls, such as net.ipv4.tcp_keepalive_time"),
};

function kindSchemas<T extends { kind: string; description: string; schema: z.ZodObject }>(
  defs: readonly T[],
  key: string,
  extra: z.ZodRawShape,
) {
  return defs.map((d) =>
    d.schema.safeExtend({ [key]: z.literal(d.kind), ...extra }).describe(d.description),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]];
}

export const componentSchemas = kindSchemas(components, "kind", componentCommon);
export const ComponentSchema = z.discriminatedUnion("kind", componentSchemas);

const expectationCommon = {
  name: z.string().optional().describe("a label shown in reports"),
  because: z.string().optional().describe("why this is expected; shown when it fails"),
};
export const expectationSchemas = kindSchemas(expectations, "kind", expectationCommon);
export const ExpectationSchema = z.discriminatedUnion("kind", expectationSchemas);

/** `if: false` (after parameters are substituted) leaves a step out of a variant. */
export const stepIf = z
  .union([z.boolean(), z.string().regex(/^.*(==|!=).*$/, { message: 'expected true, false or "a == b" / "a != b"' })])
  .optional()
  .describe('leave the step out of a variant when false; "a == b" and "a != b" compare strings after ${params} are substituted');

export function stepEnabled(cond: boolean | string | undefined): boolean {
  if (cond === undefined || typeof cond === "boolean") return cond !== false;
  const m = /^(.*?)\s*(==|!=)\s*(.*)$/.exec(cond)!;
  return (m[1]!.trim() === m[3]!.trim()) === (m[2] === "==");
}

const stepCommon = {
  id: stepId.optional(),
  if: stepIf,
  background: z
    .boolean()
    .optional()
    .describe("start the step and go on; a later `wait` step (or the end of the timeline) waits for it"),
};

export const ActionStepSchema = z
  .looseObject({
    do: z.string().min(1).describe("an action of the component's kind (see `netrepro list`)"),
    on: componentRef("the component that performs the action"),
    ...stepCommon,
  })
  .describe("an action performed by a component; the other fields are the action's arguments");

export const driverStepSchemas = kindSchemas(drivers, "run", stepCommon);
export const RunStepSchema = z.discriminatedUnion("run", driverStepSchemas);

export const SleepStepSchema = z
  .strictObject({
    sleep: incidentDuration("how long to wait"),
    id: stepId.optional(),
    if: stepIf,
    why: z.string().optional().describe("what the wait stands for in the incident"),
  })
  .describe("waits; in incident time");

export const WaitStepSchema = z
  .strictObject({
    wait: stepRef("a background step to wait for"),
    timeout: incidentDuration("give up after this long").optional(),
    if: stepIf,
  })
  .describe("waits for a background step to finish");

export const UntilStepSchema = z
  .strictObject({
    until: z
      .strictObject({
        on: componentRef("the component whose log is watched"),
        log: z.string().min(1).describe('a substring, or a regular expression written as "/.../flags"'),
      })
      .describe("an event: a line in a component's log (from the start of the run)"),
    timeout: incidentDuration("give up after this long").prefault("60s"),
    id: stepId.optional(),
    if: stepIf,
  })
  .describe("waits for an event, so that the next steps happen on it rather than at a time; its duration is the time from the step's start to the event (0 if it came before)");

export const faultStepSchemas = faults.length > 0 ? kindSchemas(faults, "fault", { id: stepId.optional(), if: stepIf }) : [];
export const FaultStepSchema = faultStepSchemas.length > 0 ? z.discriminatedUnion("fault", faultStepSchemas as [z.ZodObject, ...z.ZodObject[]]) : undefined;

/** Which key makes a step which kind of step. */
export const STEP_KEYS = ["do", "run", "sleep", "wait", "until", ...(FaultStepSchema ? ["fault"] : [])] as const;

export const StepSchema = z.union([
  ActionStepSchema,
  RunStepSchema,
  SleepStepSchema,
  WaitStepSchema,
  UntilStepSchema,
  ...(FaultStepSchema ? [FaultStepSchema] : []),
]);

export const CertificateSchema = z
  .strictObject({
    cn: z
      .string()
      .regex(/^[A-Za-z0-9 .,'()_*-]+$/, { message: "expected letters, digits, spaces and . , ' ( ) _ * -" })
      .describe("the subject's common name"),
    ca: z.boolean().default(false).describe("a certificate authority, which can issue the scenario's other certificates"),
    issuer: certificateRef("the CA that signs it; without one it is self-signed").optional(),
    dns: z
      .array(z.string().regex(/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, { message: "expected a DNS name" }))
      .optional()
      .describe("subjectAltName DNS names; a server's certificate needs the name clients use (a component's name)"),
    ips: z.array(z.union([z.ipv4(), z.ipv6()])).optional().describe("subjectAltName IP addresses"),
    key: z.enum(["ec-p256", "rsa-2048"]).default("ec-p256").describe("the key type"),
    days: z.number().int().min(1).max(3650).default(30).describe("validity from the run's start, in days (real time)"),
  })
  .describe("a certificate generated for each run with openssl; PEMs and keys go to the run's artifacts (certs/)");

export const OUTCOMES = ["reproduces", "fixed"] as const;

export const VariantSchema = z.strictObject({
  description: z.string().min(1).describe("what this variant sets up"),
  outcome: z
    .enum(OUTCOMES)
    .describe("reproduces: every symptom must hold; fixed: no symptom may hold"),
  params: paramsSchema.optional(),
  expect: z.array(ExpectationSchema).optional().describe("expectations for this variant only"),
});

export const NetworkSchema = z.strictObject({
  internal: z.boolean().default(false).describe("no route out of the network"),
});

export const ScenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1).describe("the scenario format version"),
    name: slug.describe("the scenario's name; by convention its folder's name"),
    title: z.string().min(1),
    incident: z
      .strictObject({
        source: z.string().min(1).describe("where the incident was written up"),
        url: z.string().url().optional(),
        summary: z.string().min(1).describe("what went wrong, in a few lines"),
      })
      .describe("the real incident this scenario reproduces"),
    timescale: z
      .number()
      .positive()
      .default(1)
      .describe("incident seconds per real second: 100 runs a 600 s idle gap in 6 s"),
    params: paramsSchema.optional(),
    certificates: z
      .record(slug, CertificateSchema)
      .optional()
      .describe(
        "certificates generated for each run (CAs and the certificates they issue); components install them, and " +
          "`${certs.<name>.fingerprint}` (SHA-256 of the DER, lower-case hex), `serial`, `subject`, `issuer` and " +
          "`notAfter` are filled in when a step runs or an expectation is evaluated",
      ),
    networks: z
      .record(slug, NetworkSchema)
      .optional()
      .describe("networks of the run; default: one network named `net`"),
    components: z.record(slug, ComponentSchema).describe("the real parts, by name (the name is also its DNS name)"),
    steps: z.array(StepSchema).min(1).describe("the timeline, in order"),
    symptoms: z
      .array(ExpectationSchema)
      .default([])
      .describe("the failure itself: all must hold in `reproduces` variants, none in `fixed` ones"),
    expect: z.array(ExpectationSchema).default([]).describe("expectations for every variant"),
    variants: z.record(slug, VariantSchema).describe("the bug and the fix, each with the outcome it expects"),
  })
  .describe("A netrepro scenario: a real incident as real parts, a timeline and expected observations.");

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
export type ExpectationSpec = { kind: string; name?: string; because?: string; [k: string]: unknown };
