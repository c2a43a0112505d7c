/** What the plan gives the runner: one VariantPlan per variant, everything validated and resolved. */
import type { SourcePos } from "../errors.ts";
import type { ActionDef, ComponentDef, DriverDef, ExpectationDef, FaultDef } from "../registry.ts";
import type { CertificateSpec } from "../runtime/certs.ts";
import type { Duration } from "../schema/types.ts";
import type { Params } from "./template.ts";

export interface PlannedComponent {
  name: string;
  def: ComponentDef;
  spec: Record<string, unknown>;
  networks: string[];
  dependsOn: string[];
  readyTimeoutMs: number;
}

interface StepBase {
  index: number;
  id?: string;
  background: boolean;
  label: string;
  pos: SourcePos;
}

export type PlannedStep =
  | (StepBase & { type: "action"; component: string; action: string; def: ActionDef; args: Record<string, unknown> })
  | (StepBase & { type: "run"; def: DriverDef; args: Record<string, unknown> })
  | (StepBase & { type: "sleep"; duration: Duration; why?: string })
  | (StepBase & { type: "wait"; target: string; timeoutMs?: number })
  | (StepBase & { type: "until"; component: string; pattern: string; timeoutMs: number })
  | (StepBase & { type: "fault"; def: FaultDef; args: Record<string, unknown> });

export interface PlannedCheck {
  role: "symptom" | "expect";
  /** Symptoms in a `fixed` variant must not hold. */
  negate: boolean;
  def: ExpectationDef;
  args: Record<string, unknown>;
  label: string;
  because?: string;
  pos: SourcePos;
}

export interface VariantPlan {
  /** Certificates to generate before any component starts, issuers first. */
  certificates: CertificateSpec[];
  file: string;
  dir: string;
  scenario: { name: string; title: string; incident: { source: string; url?: string | undefined; summary: string } };
  variant: { name: string; description: string; outcome: "reproduces" | "fixed" };
  timescale: number;
  params: Params;
  networks: { name: string; internal: boolean }[];
  components: PlannedComponent[];
  steps: PlannedStep[];
  checks: PlannedCheck[];
  images: string[];
}

export interface ScenarioPlan {
  file: string;
  name: string;
  title: string;
  variants: VariantPlan[];
}
