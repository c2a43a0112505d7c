/**
 * A Run is one isolated environment: its own networks and container names, everything labelled
 * netrepro.run=<id>, and a teardown that runs after a pass, a failure, an exception or a signal.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type Dockerode from "dockerode";
import { EnvironmentError, errorMessage, InterruptedError } from "../errors.ts";
import { Timeline } from "../observe/timeline.ts";
import type { Revert } from "../registry.ts";
import { startContainer, type RunningContainer } from "./container.ts";
import { engine, runLabels } from "./docker.ts";
import { resolveImage } from "./images.ts";
import type { ContainerSpec, NetworkInfo, RunContext } from "./types.ts";

const active = new Set<Run>();
/** Ways of starting a container that this engine refused, and why (see ContainerSpec.fallback). */
const refusedHere = new Map<string, string>();
let handlersInstalled = false;

/** On SIGINT/SIGTERM: stop every active run, tear it down, exit 130. A second signal exits at once. */
export function installSignalHandlers(exit = true): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (active.size === 0 && !signalled) {
      // Nothing to tear down: behave as if there were no handler.
      process.exit(128 + (sig === "SIGINT" ? 2 : 15));
    }
    if (signalled) {
      process.stderr.write(`\nnetrepro: ${sig} again: exiting without finishing teardown; run \`netrepro clean\` to remove what is left\n`);
      process.exit(130);
    }
    signalled = true;
    process.stderr.write(`\nnetrepro: ${sig}: tearing down ${active.size} run(s)…\n`);
    const runs = [...active];
    for (const r of runs) r.interrupt(sig);
    void Promise.allSettled(runs.map((r) => r.teardown())).then(() => {
      if (exit) process.exit(130);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

export function activeRuns(): ReadonlySet<Run> {
  return active;
}

export function newRunId(scenario: string, variant: string): string {
  const short = (s: string, n: number) => s.replace(/[^a-z0-9-]/g, "").slice(0, n).replace(/-+$/, "");
  return `nr-${short(scenario, 24)}-${short(variant, 12)}-${randomBytes(3).toString("hex")}`;
}

export interface TeardownReport {
  containers: number;
  networks: number;
  errors: string[];
  durationMs: number;
}

export class Run implements RunContext {
  readonly runId: string;
  readonly timeline: Timeline;
  readonly artifactsDir: string;
  private readonly controller = new AbortController();
  /** netrepro.run=<id> and the rest: what everything this run creates carries. */
  readonly labels: Record<string, string>;
  private readonly networks = new Map<string, { id: string; dockerName: string; subnet: string; gateway: string }>();
  readonly containers = new Map<string, RunningContainer>();
  /** Ids of containers that exist, started or not: what teardown must remove. */
  private readonly createdIds = new Set<string>();
  private readonly reverts: { label: string; fn: Revert }[] = [];
  private teardownPromise: Promise<TeardownReport> | undefined;
  interruptedBy: string | undefined;

  constructor(opts: { scenario: string; variant: string; artifactsRoot: string }) {
    this.runId = newRunId(opts.scenario, opts.variant);
    this.timeline = new Timeline();
    this.artifactsDir = join(opts.artifactsRoot, this.runId);
    this.labels = runLabels(this.runId, { "netrepro.scenario": opts.scenario, "netrepro.variant": opts.variant });
    mkdirSync(this.artifactsDir, { recursive: true });
    active.add(this);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  interrupt(reason: string): void {
    this.interruptedBy = reason;
    this.controller.abort(new InterruptedError(reason));
  }

  throwIfInterrupted(): void {
    if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : new InterruptedError("abort");
  }

  artifact(relPath: string, content: string | Buffer): string {
    const p = join(this.artifactsDir, relPath);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return relPath;
  }

  private async docker(): Promise<Dockerode> {
    return (await engine()).docker;
  }

  async createNetworks(list: readonly { name: string; internal: boolean }[]): Promise<void> {
    const { client } = await engine();
    await Promise.all(
      list.map(async (n) => {
        this.throwIfInterrupted();
        const dockerName = `${this.runId}-${n.name}`;
        try {
          const net = await client.network.create({
            Name: dockerName,
            CheckDuplicate: true,
            Driver: "bridge",
            Internal: n.internal,
            Labels: { ...this.labels, "netrepro.network": n.name },
          });
          const info = (await net.inspect()) as { IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] } };
          const ipam = info.IPAM?.Config?.[0] ?? {};
          this.networks.set(n.name, { id: net.id, dockerName, subnet: ipam.Subnet ?? "", gateway: ipam.Gateway ?? "" });
          this.timeline.add("run", "runtime", `network ${n.name} created (${dockerName})`);
        } catch (err) {
          throw new EnvironmentError(`creating network ${dockerName} failed: ${errorMessage(err)}`, { cause: err });
        }
      }),
    );
  }

  network(name: string): NetworkInfo {
    const n = this.networks.get(name);
    if (!n) throw new EnvironmentError(`network \`${name}\` does not exist in run ${this.runId}`);
    return { name, dockerName: n.dockerName, subnet: n.subnet, gateway: n.gateway };
  }

  async startComponent(opts: {
    component: string;
    kind: string;
    spec: ContainerSpec;
    networks: readonly string[];
    readyTimeoutMs: number;
    note?: (text: string) => void;
  }): Promise<RunningContainer> {
    this.throwIfInterrupted();
    const docker = await this.docker();
    const started = Date.now();
    const attempt = async (spec: ContainerSpec) => {
      let id = "";
      try {
        return await startContainer({
          component: opts.component,
          kind: opts.kind,
          name: `${this.runId}-${opts.component}`,
          image: resolveImage(spec.image),
          spec,
          networks: opts.networks.map((n) => ({ name: n, dockerName: this.networks.get(n)!.dockerName })),
          labels: { ...this.labels, "netrepro.component": opts.component },
          readyTimeoutMs: opts.readyTimeoutMs,
          timeline: this.timeline,
          docker,
          onCreated: (created) => {
            id = created;
            this.createdIds.add(created);
          },
        });
      } catch (err) {
        (err as { containerId?: string }).containerId = id;
        throw err;
      }
    };
    let container: RunningContainer;
    const fb = opts.spec.fallback;
    const { fallback: _unused, ...first } = opts.spec;
    const report = (text: string) => {
      this.timeline.add("note", opts.component, text);
      opts.note?.(`${opts.component}: ${text}`);
    };
    if (fb && refusedHere.has(fb.describe)) {
      // Refused before on this engine: do not pay for the refusal again.
      report(`${fb.describe} (refused earlier on this engine: ${refusedHere.get(fb.describe)})`);
      container = await attempt({ ...first, ...fb.spec });
    } else {
      try {
        container = await attempt(opts.spec);
      } catch (err) {
        const id = (err as { containerId?: string }).containerId ?? "";
        const reason = fb ? errorMessage(err).match(fb.when)?.[0] : undefined;
        if (!fb || !reason) throw err;
        // The first way was refused: remove that container and start the other way.
        if (id) {
          await docker.getContainer(id).remove({ force: true, v: true }).catch(() => {});
          this.createdIds.delete(id);
        }
        refusedHere.set(fb.describe, reason);
        report(`${fb.describe} (refused: ${reason})`);
        container = await attempt({ ...first, ...fb.spec });
      }
    }
    this.containers.set(opts.component, container);
    this.timeline.add("component", opts.component, `ready in ${Date.now() - started} ms (${opts.kind})`);
    return container;
  }

  /** A container made outside startComponent (a one-shot job): teardown removes it if it is still there. */
  adopt(containerId: string): void {
    this.createdIds.add(containerId);
  }

  /** Registers how to undo a fault; teardown runs them in reverse order before removing containers. */
  addRevert(label: string, fn: Revert): void {
    this.reverts.push({ label, fn });
  }

  /** Idempotent: reverts faults, removes containers and networks, stops following logs. */
  teardown(): Promise<TeardownReport> {
    this.teardownPromise ??= this.doTeardown();
    return this.teardownPromise;
  }

  private async doTeardown(): Promise<TeardownReport> {
    const started = Date.now();
    const errors: string[] = [];
    for (const r of this.reverts.reverse()) {
      try {
        await r.fn();
      } catch (err) {
        errors.push(`reverting ${r.label}: ${errorMessage(err)}`);
      }
    }
    const docker = await this.docker().catch(() => undefined);
    await Promise.all(
      [...this.createdIds].map(async (id) => {
        const running = [...this.containers.values()].find((c) => c.id === id);
        try {
          if (running) await running.remove();
          else await docker?.getContainer(id).remove({ force: true, v: true });
        } catch (err) {
          if (!/no such container|is already in progress|404/i.test(errorMessage(err))) errors.push(`removing container ${id.slice(0, 12)}: ${errorMessage(err)}`);
        }
      }),
    );
    await Promise.all([...this.containers.values()].map((c) => c.follower.stop(0)));
    await Promise.all(
      [...this.networks.values()].map(async (n) => {
        try {
          await docker?.getNetwork(n.id).remove();
        } catch (err) {
          if (!/no such network|404/i.test(errorMessage(err))) errors.push(`removing network ${n.dockerName}: ${errorMessage(err)}`);
        }
      }),
    );
    active.delete(this);
    const report = { containers: this.createdIds.size, networks: this.networks.size, errors, durationMs: Date.now() - started };
    this.timeline.add("run", "runtime", `teardown: ${report.containers} containers, ${report.networks} networks removed in ${report.durationMs} ms`);
    return report;
  }
}
