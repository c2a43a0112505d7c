/**
 * Field types shared by every registry entry. Each one parses into a small marker object, so the
 * plan can find every duration, component reference, step reference and fixture in a validated
 * scenario with one walk, and check each against the rest of the file with its position.
 */
import { z } from "zod";
import { DURATION_PATTERN, formatMs, parseDuration } from "../duration.ts";

export interface DurationOptions {
  /** Incident time (divided by the timescale) or real time (taken as written). */
  scaled: boolean;
  /** The smallest value the mechanism behind this field can resolve, in ms. */
  resolutionMs?: number;
  /** What enforces the duration, named in errors: "TCP keepalive", "conntrack timeout". */
  mechanism?: string;
  /** The scaled value must be a whole multiple of the resolution (kernel timers in seconds). */
  whole?: boolean;
  /**
   * What the duration is to an idle cut: the limit a middlebox enforces, or a silence the
   * scenario makes. The plan checks limits against fixed timers and gaps against limits.
   */
  role?: "idle-limit" | "idle-gap";
}

export class Duration {
  readonly text: string;
  readonly writtenMs: number;
  readonly options: DurationOptions;
  /** The value to use at run time, set by the plan (scaled when options.scaled). */
  ms: number;
  constructor(text: string, writtenMs: number, options: DurationOptions) {
    this.text = text;
    this.writtenMs = writtenMs;
    this.options = options;
    this.ms = writtenMs;
  }
  get seconds(): number {
    return this.ms / 1000;
  }
  toString(): string {
    return this.options.scaled && this.ms !== this.writtenMs ? `${this.text} (${formatMs(this.ms)} real)` : this.text;
  }
  toJSON(): unknown {
    return { text: this.text, ms: this.ms };
  }
}

function durationType(options: DurationOptions, description: string) {
  return z
    .string()
    .regex(new RegExp(DURATION_PATTERN), { message: 'expected a duration such as "600s", "10m" or "250ms"' })
    .transform((text) => new Duration(text, parseDuration(text)!, options))
    .describe(description);
}

/** A duration in incident time: divided by the scenario's timescale. */
export function incidentDuration(
  description: string,
  opts: Omit<DurationOptions, "scaled"> = {},
) {
  return durationType({ scaled: true, resolutionMs: 1, ...opts }, `${description} (incident time, scaled)`);
}

/** A duration in real time, never scaled (readiness timeouts and such). */
export function realDuration(description: string) {
  return durationType({ scaled: false, resolutionMs: 1 }, `${description} (real time, not scaled)`);
}

export class ComponentRef {
  readonly name: string;
  readonly requires: { observable?: string; kinds?: readonly string[] };
  constructor(name: string, requires: ComponentRef["requires"]) {
    this.name = name;
    this.requires = requires;
  }
  toString(): string {
    return this.name;
  }
  toJSON(): string {
    return this.name;
  }
}

/** The name of a component of this scenario; the plan checks that it exists. */
export function componentRef(description: string, requires: ComponentRef["requires"] = {}) {
  return z
    .string()
    .min(1)
    .transform((name) => new ComponentRef(name, requires))
    .describe(description);
}

export class StepRef {
  readonly id: string;
  constructor(id: string) {
    this.id = id;
  }
  toString(): string {
    return this.id;
  }
  toJSON(): string {
    return this.id;
  }
}

/** The id of a step of this scenario; the plan checks that it exists. */
export function stepRef(description: string) {
  return z
    .string()
    .min(1)
    .transform((id) => new StepRef(id))
    .describe(description);
}

/** A path beside scenario.yaml; the plan checks that it exists and sets `absPath`. */
export class PathRef {
  readonly path: string;
  /** Set by the plan: the absolute path. */
  absPath = "";
  constructor(path: string) {
    this.path = path;
  }
  /** "fixture" or "folder", as the plan names it in errors. */
  get what(): string {
    return "fixture";
  }
  toString(): string {
    return this.path;
  }
  toJSON(): string {
    return this.path;
  }
}

export class FixtureRef extends PathRef {}

export class FolderRef extends PathRef {
  override get what(): string {
    return "folder";
  }
}

/** A file beside scenario.yaml; the plan checks that it exists. */
export function fixtureRef(description: string) {
  return z
    .string()
    .min(1)
    .transform((path) => new FixtureRef(path))
    .describe(`${description} (a path relative to the scenario's folder)`);
}

/** A folder beside scenario.yaml (program sources, say); the plan checks that it exists. */
export function folderRef(description: string) {
  return z
    .string()
    .min(1)
    .transform((path) => new FolderRef(path))
    .describe(`${description} (a folder relative to the scenario's folder)`);
}

/** The runtime attributes of a certificate: `${certs.<name>.<attr>}` in steps and expectations. */
export const CERTIFICATE_ATTRS = ["fingerprint", "serial", "subject", "issuer", "notAfter"] as const;

export class CertificateRef {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  toString(): string {
    return this.name;
  }
  toJSON(): string {
    return this.name;
  }
}

/** The name of a certificate declared in the scenario's `certificates`; the plan checks that it exists. */
export function certificateRef(description: string) {
  return z
    .string()
    .min(1)
    .transform((name) => new CertificateRef(name))
    .describe(`${description} (a name under \`certificates\`)`);
}

export const slug = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, { message: "expected lower-case letters, digits and dashes, starting with a letter" });

/** A text match: a plain substring, or /regex/flags. */
export const textPattern = z
  .string()
  .min(1)
  .describe('a substring, or a regular expression written as "/.../flags"');

export function toRegExp(pattern: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (m) return new RegExp(m[1]!, m[2]);
  return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

export function isRegexPattern(pattern: string): boolean {
  return /^\/(.*)\/([a-z]*)$/s.test(pattern);
}

/** Step commands: a shell line (run with sh -c) or an argv list. */
export const command = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .describe("a shell command line (run with sh -c) or an argument list");

export function toArgv(cmd: string | readonly string[]): string[] {
  return typeof cmd === "string" ? ["sh", "-c", cmd] : [...cmd];
}
