/** What components, drivers and faults see of the runtime. */
import type { Timeline } from "../observe/timeline.ts";

export interface FileContent {
  path: string;
  content: string | Buffer;
  mode?: number;
}

export interface ExecResult {
  argv: string[];
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Epoch ms when the command started and how long it ran. */
  startedAt: number;
  durationMs: number;
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  stdin?: string;
}

export interface LogLine {
  /** Epoch ms, from the engine's timestamp. */
  at: number;
  stream: "stdout" | "stderr";
  line: string;
}

export type ReadyCheck =
  | { log: RegExp; timeoutMs?: number }
  | { exec: string[]; timeoutMs?: number }
  | { none: true };

/** How a component wants its container made. */
export interface ContainerSpec {
  /** An image folder under docker/ (built by the harness) or a full image reference. */
  image: string;
  entrypoint?: string[];
  command?: string[];
  env?: Record<string, string>;
  files?: FileContent[];
  capAdd?: string[];
  capDrop?: string[];
  sysctls?: Record<string, string>;
  privileged?: boolean;
  securityOpt?: string[];
  tmpfs?: Record<string, string>;
  ready: ReadyCheck;
  /** Published ports: only for control traffic from the host (APIs), never scenario traffic. */
  publish?: number[];
  cgroupns?: "private" | "host";
  /** No masked or read-only /proc and /sys paths (what `--security-opt systempaths=unconfined` does in the CLI). */
  unmaskPaths?: boolean;
  /**
   * Another way to start when the first is refused (e.g. --privileged where the sandbox drops
   * capabilities): if starting fails with an error matching `when`, the container is removed and
   * started again with `spec` merged over the first spec. The run's timeline says which was used.
   */
  fallback?: { when: RegExp; describe: string; spec: Partial<Omit<ContainerSpec, "fallback">> };
}

export interface RunContainer {
  readonly id: string;
  readonly name: string;
  readonly component: string;
  /** The container's address on a network of the run (the first one when omitted). */
  ip(network?: string): string;
  networks(): string[];
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  copyContent(files: FileContent[]): Promise<void>;
  /** Restarts the container (filesystem kept) and waits until it is ready again. */
  restart(): Promise<void>;
  logLines(): readonly LogLine[];
  /** Resolves with the first log line at or after `sinceEpochMs` that matches. */
  waitForLog(pattern: RegExp, opts: { sinceEpochMs?: number; timeoutMs: number }): Promise<LogLine>;
  mappedPort(port: number): { host: string; port: number };
  /** A file's content, read through the Docker API. */
  readFile(path: string): Promise<Buffer>;
  /** Writes files through the Docker API (a tar put at /). */
  putArchive(tar: Buffer, dir: string): Promise<void>;
}

export interface NetworkInfo {
  name: string;
  dockerName: string;
  subnet: string;
  gateway: string;
}

export interface RunContext {
  readonly runId: string;
  readonly timeline: Timeline;
  readonly artifactsDir: string;
  readonly signal: AbortSignal;
}
