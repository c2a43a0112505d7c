/**
 * Removing what runs left behind. Everything netrepro creates carries netrepro.run=<id>, the
 * creating process's pid and host, and its start time; a run whose process is gone is dead.
 */
import { hostname } from "node:os";
import { engine, LABEL_RUN } from "./docker.ts";

export interface SweepReport {
  containers: number;
  networks: number;
  volumes: number;
}

type Labels = Record<string, string> | undefined;

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the labels belong to a run whose process is gone (or, from another host, that is older than maxAge). */
export function isDead(labels: Labels, maxAgeMs = 6 * 3600_000): boolean {
  if (!labels?.[LABEL_RUN]) return false;
  if (labels["netrepro.host"] === hostname()) return !pidAlive(Number(labels["netrepro.pid"]));
  const started = Number(labels["netrepro.started"]) * 1000;
  return Number.isFinite(started) && Date.now() - started > maxAgeMs;
}

/**
 * Removes labelled resources that `select` picks: dead runs' by default; `() => true` removes all.
 * Containers go first, so their networks can go after.
 */
export async function sweep(select: (labels: Labels) => boolean = (l) => isDead(l)): Promise<SweepReport> {
  const { docker } = await engine();
  const filters = JSON.stringify({ label: [LABEL_RUN] });
  const containers = (await docker.listContainers({ all: true, filters })).filter((c) => select(c.Labels));
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})));
  const networks = (await docker.listNetworks({ filters })).filter((n) => select(n.Labels));
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => {})));
  const vols = ((await docker.listVolumes({ filters })).Volumes ?? []).filter((v) => select(v.Labels as Labels));
  await Promise.all(vols.map((v) => docker.getVolume(v.Name).remove().catch(() => {})));
  return { containers: containers.length, networks: networks.length, volumes: vols.length };
}

/** What carries the label now, optionally only some runs. */
export async function leftovers(select: (labels: Labels) => boolean = () => true): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const { docker } = await engine();
  const filters = JSON.stringify({ label: [LABEL_RUN] });
  const containers = (await docker.listContainers({ all: true, filters })).filter((c) => select(c.Labels)).map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id);
  const networks = (await docker.listNetworks({ filters })).filter((n) => select(n.Labels)).map((n) => n.Name);
  const volumes = ((await docker.listVolumes({ filters })).Volumes ?? []).filter((v) => select(v.Labels as Labels)).map((v) => v.Name);
  return { containers, networks, volumes };
}
