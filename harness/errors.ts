/**
 * One error family for the whole harness. Each error says what was observed and carries an
 * exit code for the CLI: 1 a scenario failed, 2 bad input, 3 the environment failed.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  badInput: 2,
  environment: 3,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class HarnessError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, options: { cause?: unknown; exitCode?: ExitCodeValue } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.failed;
  }
}

/** A position in a scenario file, 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One problem found in the input: file:line:col, the field path, what was expected and found. */
export interface InputProblem {
  pos: SourcePos;
  path: string;
  message: string;
}

export function formatProblem(p: InputProblem): string {
  const where = `${p.pos.file}:${p.pos.line}:${p.pos.col}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** Bad input: reported before any container starts. */
export class InputError extends HarnessError {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[]) {
    super(problems.map(formatProblem).join("\n"), { exitCode: ExitCode.badInput });
    this.problems = problems;
  }
}

/** The engine, an image or the Docker API failed: not the scenario's fault. */
export class EnvironmentError extends HarnessError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.environment });
  }
}

/** A component, action or driver did not do what the scenario asked. */
export class ScenarioRuntimeError extends HarnessError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.failed });
  }
}

export class InterruptedError extends HarnessError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, { exitCode: ExitCode.interrupted });
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause && !err.message.includes(cause.slice(2)) ? cause : ""}`;
  }
  return String(err);
}

export function exitCodeOf(err: unknown): ExitCodeValue {
  return err instanceof HarnessError ? err.exitCode : ExitCode.environment;
}
