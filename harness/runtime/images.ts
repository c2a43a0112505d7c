/**
 * The harness's images: one folder per image under docker/, tagged with a hash of its build
 * context, so an image is rebuilt exactly when its Dockerfile or files change, and two versions
 * of the repository never use each other's images.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError, errorMessage } from "../errors.ts";
import { engine } from "./docker.ts";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
export const DOCKER_DIR = join(REPO_ROOT, "docker");
const LABEL_IMAGE = "netrepro.image";
const LABEL_HASH = "netrepro.context-hash";

export function imageNames(): string[] {
  return readdirSync(DOCKER_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && statSync(join(DOCKER_DIR, d.name, "Dockerfile"), { throwIfNoEntry: false }))
    .map((d) => d.name)
    .sort();
}

function contextFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

const hashCache = new Map<string, string>();

/** The image reference for a folder under docker/: netrepro/<name>:<hash of its context>. */
export function imageTag(name: string): string {
  let hash = hashCache.get(name);
  if (!hash) {
    const dir = join(DOCKER_DIR, name);
    const h = createHash("sha256");
    for (const f of contextFiles(dir)) {
      const st = statSync(join(dir, f));
      h.update(`${f}\0${st.mode & 0o111 ? "x" : "-"}\0`);
      h.update(readFileSync(join(dir, f)));
      h.update("\0");
    }
    hash = h.digest("hex").slice(0, 12);
    hashCache.set(name, hash);
  }
  return `netrepro/${name}:${hash}`;
}

export function isLocalImage(image: string): boolean {
  return !image.includes("/") && !image.includes(":");
}

/** A component's image: a folder under docker/ becomes its hashed tag; anything else is used as written. */
export function resolveImage(image: string): string {
  return isLocalImage(image) ? imageTag(image) : image;
}

export interface ImageStatus {
  name: string;
  tag: string;
  present: boolean;
}

export async function imageStatus(names = imageNames()): Promise<ImageStatus[]> {
  const { docker } = await engine();
  return Promise.all(
    names.map(async (name) => {
      const tag = imageTag(name);
      const present = await docker
        .getImage(tag)
        .inspect()
        .then(() => true)
        .catch(() => false);
      return { name, tag, present };
    }),
  );
}

const building = new Map<string, Promise<void>>();

/** Builds the images that are missing; the ones already there cost one inspect each. */
export async function ensureImages(
  names: readonly string[],
  opts: { log?: (line: string) => void; force?: boolean; noCache?: boolean } = {},
): Promise<void> {
  const log = opts.log ?? (() => {});
  const status = await imageStatus([...new Set(names)].filter(isLocalImage));
  const missing = status.filter((s) => opts.force || !s.present);
  await Promise.all(
    missing.map((s) => {
      let p = building.get(s.tag);
      if (!p) {
        p = buildImage(s.name, s.tag, log, opts.noCache ?? false).finally(() => building.delete(s.tag));
        building.set(s.tag, p);
      }
      return p;
    }),
  );
}

async function buildImage(name: string, tag: string, log: (line: string) => void, noCache: boolean): Promise<void> {
  const { docker } = await engine();
  const dir = join(DOCKER_DIR, name);
  const started = Date.now();
  log(`building image ${tag} from docker/${name}/`);
  const tail: string[] = [];
  try {
    const stream = await docker.buildImage(
      { context: dir, src: contextFiles(dir) },
      {
        t: tag,
        labels: { [LABEL_IMAGE]: name, [LABEL_HASH]: tag.split(":")[1]! },
        rm: true,
        forcerm: true,
        nocache: noCache,
      },
    );
    await new Promise<void>((resolvePromise, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, output: { error?: string }[]) => {
          const failed = err ?? output.find((o) => o.error);
          if (failed) reject(new Error(err ? err.message : String((failed as { error?: string }).error)));
          else resolvePromise();
        },
        (event: { stream?: string; error?: string }) => {
          const text = (event.stream ?? event.error ?? "").trimEnd();
          if (!text) return;
          tail.push(text);
          if (tail.length > 20) tail.shift();
          if (/^Step \d+\/\d+ :/.test(text)) log(`  ${name}: ${text}`);
        },
      );
    });
  } catch (err) {
    throw new EnvironmentError(
      `building image ${tag} from docker/${name}/ failed: ${errorMessage(err)}\n  last build output:\n    ${tail.join("\n    ")}`,
      { cause: err },
    );
  }
  log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await pruneOldTags(name, tag);
}

/** Removes earlier builds of the same image folder; an image still in use stays. */
async function pruneOldTags(name: string, keep: string): Promise<void> {
  const { docker } = await engine();
  const list = await docker.listImages({ filters: JSON.stringify({ label: [`${LABEL_IMAGE}=${name}`] }) });
  for (const img of list) {
    if ((img.RepoTags ?? []).includes(keep)) continue;
    await docker
      .getImage(img.Id)
      .remove()
      .catch(() => {});
  }
}
