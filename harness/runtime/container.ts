/**
 * Containers of a run, made by testcontainers. A subclass of GenericContainer sets what the
 * builder has no method for: a network alias without also joining the default bridge, more
 * networks before start, sysctls, dropped capabilities and security options.
 */
import type Dockerode from "dockerode";
import { GenericContainer, PullPolicy, Wait, type StartedTestContainer, type WaitStrategy } from "testcontainers";
import { ScenarioRuntimeError } from "../errors.ts";
import type { Timeline } from "../observe/timeline.ts";
import { LogFollower } from "./logs.ts";
import type { ContainerSpec, ExecOptions, ExecResult, FileContent, LogLine, RunContainer } from "./types.ts";

export interface NetworkAttachment {
  /** The network's name in the engine. */
  dockerName: string;
  /** The scenario's name for it. */
  name: string;
}

class NetreproContainer extends GenericContainer {
  private readonly attach: NetworkAttachment[];
  private readonly alias: string;
  private readonly extra: Pick<ContainerSpec, "sysctls" | "capDrop" | "securityOpt" | "tmpfs" | "cgroupns" | "unmaskPaths">;
  private readonly docker: Dockerode;
  private readonly hooks: { created(id: string): void; starting(): Promise<void> };

  constructor(
    image: string,
    alias: string,
    attach: NetworkAttachment[],
    extra: NetreproContainer["extra"],
    docker: Dockerode,
    hooks: NetreproContainer["hooks"],
  ) {
    super(image);
    this.alias = alias;
    this.attach = attach;
    this.extra = extra;
    this.docker = docker;
    this.hooks = hooks;
    this.withNetworkMode(attach[0]!.dockerName);
  }

  protected override async beforeContainerCreated(): Promise<void> {
    this.createOpts.NetworkingConfig = {
      EndpointsConfig: { [this.attach[0]!.dockerName]: { Aliases: [this.alias] } },
    };
    if (this.extra.sysctls) this.hostConfig.Sysctls = this.extra.sysctls;
    if (this.extra.capDrop) this.hostConfig.CapDrop = this.extra.capDrop;
    if (this.extra.securityOpt) this.hostConfig.SecurityOpt = this.extra.securityOpt;
    if (this.extra.tmpfs) this.hostConfig.Tmpfs = this.extra.tmpfs;
    const hc = this.hostConfig as { CgroupnsMode?: string; MaskedPaths?: string[]; ReadonlyPaths?: string[] };
    if (this.extra.cgroupns) hc.CgroupnsMode = this.extra.cgroupns;
    if (this.extra.unmaskPaths) {
      hc.MaskedPaths = [];
      hc.ReadonlyPaths = [];
    }
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    this.hooks.created(containerId);
    for (const net of this.attach.slice(1)) {
      await this.docker.getNetwork(net.dockerName).connect({ Container: containerId, EndpointConfig: { Aliases: [this.alias] } });
    }
  }

  protected override async containerStarting(): Promise<void> {
    await this.hooks.starting();
  }
}

/** Resolves at once: for containers that are ready when their process starts. */
class ReadyAtStart implements WaitStrategy {
  private timeout = 0;
  async waitUntilReady(): Promise<void> {}
  withStartupTimeout(ms: number): this {
    this.timeout = ms;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.timeout > 0;
  }
  getStartupTimeout(): number {
    return this.timeout;
  }
}

function waitStrategy(spec: ContainerSpec): WaitStrategy {
  const r = spec.ready;
  if ("log" in r) return Wait.forLogMessage(r.log);
  if ("exec" in r) return Wait.forSuccessfulCommand(r.exec.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" "));
  return new ReadyAtStart();
}

export interface StartRequest {
  component: string;
  kind: string;
  name: string;
  image: string;
  spec: ContainerSpec;
  networks: NetworkAttachment[];
  labels: Record<string, string>;
  readyTimeoutMs: number;
  timeline: Timeline;
  docker: Dockerode;
  /** Called with the container's id as soon as it exists, so teardown can find it even if start fails. */
  onCreated: (id: string) => void;
}

export async function startContainer(req: StartRequest): Promise<RunningContainer> {
  const { spec } = req;
  // Follow the log from the moment the container starts, so a failed start still shows why.
  let follower: LogFollower | undefined;
  const c = new NetreproContainer(
    req.image,
    req.component,
    req.networks,
    {
      ...(spec.sysctls ? { sysctls: spec.sysctls } : {}),
      ...(spec.capDrop ? { capDrop: spec.capDrop } : {}),
      ...(spec.securityOpt ? { securityOpt: spec.securityOpt } : {}),
      ...(spec.tmpfs ? { tmpfs: spec.tmpfs } : {}),
      ...(spec.cgroupns ? { cgroupns: spec.cgroupns } : {}),
      ...(spec.unmaskPaths ? { unmaskPaths: true } : {}),
    },
    req.docker,
    {
      created(id) {
        req.onCreated(id);
        follower = new LogFollower(req.docker.getContainer(id), req.component, req.timeline);
      },
      async starting() {
        await follower?.resume();
      },
    },
  )
    .withName(req.name)
    .withHostname(req.component)
    .withLabels(req.labels)
    .withPullPolicy(PullPolicy.defaultPolicy())
    .withWaitStrategy(waitStrategy(spec))
    .withStartupTimeout(req.readyTimeoutMs);
  if (spec.entrypoint) c.withEntrypoint(spec.entrypoint);
  if (spec.command) c.withCommand(spec.command);
  if (spec.env) c.withEnvironment(spec.env);
  if (spec.capAdd?.length) c.withAddedCapabilities(...spec.capAdd);
  if (spec.privileged) c.withPrivilegedMode();
  if (spec.publish?.length) c.withExposedPorts(...spec.publish);
  if (spec.files?.length) {
    c.withCopyContentToContainer(spec.files.map((f) => ({ content: f.content, target: f.path, ...(f.mode ? { mode: f.mode } : {}) })));
  }

  let started: StartedTestContainer;
  try {
    started = await c.start();
  } catch (err) {
    const last = follower?.lines.slice(-8).map((l) => l.line) ?? [];
    await follower?.stop(0);
    const msg = (err as Error).message;
    const notReady = /not received|Log stream ended|timed out|timeout/i.test(msg);
    throw new ScenarioRuntimeError(
      (notReady
        ? `component \`${req.component}\` (${req.kind}) not ready within ${req.readyTimeoutMs / 1000} s: ${msg}`
        : `component \`${req.component}\` (${req.kind}) could not start: ${msg}`) +
        (last.length ? `\n  last log lines:\n    ${last.join("\n    ")}` : "\n  it logged nothing"),
      { cause: err },
    );
  }
  return new RunningContainer(req, started, follower!);
}

export class RunningContainer implements RunContainer {
  readonly id: string;
  readonly name: string;
  readonly component: string;
  readonly follower: LogFollower;
  private readonly started: StartedTestContainer;
  private readonly req: StartRequest;

  constructor(req: StartRequest, started: StartedTestContainer, follower: LogFollower) {
    this.req = req;
    this.started = started;
    this.follower = follower;
    this.id = started.getId();
    this.name = req.name;
    this.component = req.component;
  }

  ip(network?: string): string {
    const net = network ? this.req.networks.find((n) => n.name === network) : this.req.networks[0];
    if (!net) throw new ScenarioRuntimeError(`component \`${this.component}\` is not on network \`${network}\``);
    return this.started.getIpAddress(net.dockerName);
  }

  networks(): string[] {
    return this.req.networks.map((n) => n.name);
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const startedAt = Date.now();
    const run = this.started.exec(argv, {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.user ? { user: opts.user } : {}),
      ...(opts.workdir ? { workingDir: opts.workdir } : {}),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => {
      if (opts.timeoutMs) timer = setTimeout(() => r("timeout"), opts.timeoutMs);
    });
    const res = await Promise.race([run, timeout]).finally(() => clearTimeout(timer));
    const durationMs = Date.now() - startedAt;
    if (res === "timeout") {
      run.catch(() => {});
      return { argv, stdout: "", stderr: "", exitCode: -1, startedAt, durationMs, timedOut: true };
    }
    return { argv, stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode, startedAt, durationMs, timedOut: false };
  }

  async copyContent(files: FileContent[]): Promise<void> {
    await this.started.copyContentToContainer(
      files.map((f) => ({ content: f.content, target: f.path, ...(f.mode ? { mode: f.mode } : {}) })),
    );
  }

  /**
   * Restarts through the Docker API and waits for readiness on our own log follower, so every
   * line of the new start is captured, and a failed start says what it printed.
   */
  async restart(): Promise<void> {
    const c = this.req.docker.getContainer(this.id);
    const timeoutMs = this.req.readyTimeoutMs;
    try {
      // Lines that arrive after this mark belong to the new start.
      const mark = this.follower.lines.length;
      await c.restart({ t: 0 });
      await this.follower.resume();
      await this.waitReady(mark, timeoutMs);
    } catch (err) {
      const last = this.follower.lines.slice(-8).map((l) => l.line);
      throw new ScenarioRuntimeError(
        `component \`${this.component}\` (${this.req.kind}) not ready after a restart: ${(err as Error).message}\n  last log lines:\n    ${last.join("\n    ")}`,
        { cause: err },
      );
    }
  }

  private async waitReady(fromLine: number, timeoutMs: number): Promise<void> {
    const r = this.req.spec.ready;
    if ("log" in r) {
      await this.follower.waitFor(r.log, 0, timeoutMs, fromLine);
    } else if ("exec" in r) {
      const deadline = Date.now() + timeoutMs;
      while ((await this.exec(r.exec, { timeoutMs: 5000 })).exitCode !== 0) {
        if (Date.now() > deadline) throw new Error(`\`${r.exec.join(" ")}\` did not succeed within ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }

  logLines(): readonly LogLine[] {
    return this.follower.lines;
  }

  waitForLog(pattern: RegExp, opts: { sinceEpochMs?: number; timeoutMs: number }): Promise<LogLine> {
    return this.follower.waitFor(pattern, opts.sinceEpochMs ?? 0, opts.timeoutMs);
  }

  async readFile(path: string): Promise<Buffer> {
    const stream = await this.req.docker.getContainer(this.id).getArchive({ path });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return firstFileOfTar(Buffer.concat(chunks));
  }

  async putArchive(tar: Buffer, dir: string): Promise<void> {
    await this.req.docker.getContainer(this.id).putArchive(tar, { path: dir });
  }

  mappedPort(port: number): { host: string; port: number } {
    return { host: this.started.getHost(), port: this.started.getMappedPort(port) };
  }

  /** Kills and removes the container with its anonymous volumes, in one call. */
  async remove(): Promise<void> {
    await this.req.docker.getContainer(this.id).remove({ force: true, v: true });
  }
}

/** The content of the first regular file in a tar (what the archive endpoint returns for a file). */
export function firstFileOfTar(tar: Buffer): Buffer {
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156]!);
    const body = off + 512;
    if (type === "0" || type === "\0") return Buffer.from(tar.subarray(body, body + size));
    off = body + Math.ceil(size / 512) * 512;
  }
  throw new Error("no file in the archive");
}
