/**
 * Images the harness builds: the folders under docker/, and images generated at run time (Go
 * programs of scenarios). Each is tagged with a hash of its build context, so it is rebuilt
 * exactly when its files change, and two versions of the repository never share an image.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError, errorMessage } from "../errors.ts";
import { engine } from "./docker.ts";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
export const DOCKER_DIR = join(REPO_ROOT, "docker");
const LABEL_IMAGE = "netrepro.image";
const LABEL_HASH = "netrepro.context-hash";

/** A build context: files by relative path. */
export interface ImageSource {
  /** The image's name: a folder under docker/, or a generated one ("go-<scenario>-<program>"). */
  name: string;
  files: Map<string, { content: Buffer; mode: number }>;
  /** Images (by name) that must exist before this one builds (its FROM lines). */
  needs: string[];
}

function readTree(dir: string, into = new Map<string, { content: Buffer; mode: number }>(), prefix = ""): ImageSource["files"] {
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) into.set(join(prefix, relative(dir, p)), { content: readFileSync(p), mode: statSync(p).mode & 0o777 });
    }
  };
  walk(dir);
  return into;
}

/**
 * Certificates of a TLS-intercepting proxy on this machine, for images whose Dockerfile copies
 * `extra-ca/` (builds that fetch over HTTPS, like Go modules). Empty on most machines.
 */
function extraCaFiles(): ImageSource["files"] {
  const dir = process.env["NETREPRO_EXTRA_CA_DIR"] ?? "/usr/local/share/ca-certificates";
  const out: ImageSource["files"] = new Map();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith(".crt") && statSync(join(dir, f)).isFile()) out.set(join("extra-ca", f), { content: readFileSync(join(dir, f)), mode: 0o644 });
  }
  return out;
}

const sourceCache = new Map<string, ImageSource>();

/** The build context of a folder under docker/. */
export function dockerDirSource(name: string): ImageSource {
  let src = sourceCache.get(name);
  if (src) return src;
  const dir = join(DOCKER_DIR, name);
  if (!existsSync(join(dir, "Dockerfile"))) throw new EnvironmentError(`no image folder docker/${name}/ with a Dockerfile`);
  const files = readTree(dir);
  const dockerfile = files.get("Dockerfile")!.content.toString("utf8");
  if (/^\s*COPY\s+extra-ca\//m.test(dockerfile)) for (const [k, v] of extraCaFiles()) files.set(k, v);
  src = { name, files, needs: imageArgs(dockerfile) };
  sourceCache.set(name, src);
  return src;
}

export function imageNames(): string[] {
  return readdirSync(DOCKER_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(DOCKER_DIR, d.name, "Dockerfile")))
    .map((d) => d.name)
    .sort();
}

/**
 * `ARG NETREPRO_<NAME>_IMAGE` in a Dockerfile names another harness image (docker/<name>/, with
 * dashes for underscores): it is built first and passed as a build argument, so `FROM
 * ${NETREPRO_GOLANG_IMAGE}` works with hashed tags.
 */
export function imageArgs(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^\s*ARG\s+NETREPRO_([A-Z0-9_]+)_IMAGE\b/gm)].map((m) => m[1]!.toLowerCase().replace(/_/g, "-"));
}

function buildArgs(src: ImageSource): Record<string, string> {
  return Object.fromEntries(src.needs.map((n) => [`NETREPRO_${n.toUpperCase().replace(/-/g, "_")}_IMAGE`, imageTag(n)]));
}

export function sourceHash(src: ImageSource): string {
  const h = createHash("sha256");
  for (const [k, v] of Object.entries(buildArgs(src))) h.update(`arg ${k}=${v}\0`);
  for (const [path, f] of [...src.files].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`${path}\0${f.mode & 0o111 ? "x" : "-"}\0`);
    h.update(f.content);
    h.update("\0");
  }
  return h.digest("hex").slice(0, 12);
}

const tags = new WeakMap<ImageSource, string>();

export function tagOf(src: ImageSource): string {
  let tag = tags.get(src);
  if (!tag) {
    tag = `netrepro/${src.name}:${sourceHash(src)}`;
    tags.set(src, tag);
  }
  return tag;
}

/** The image reference for a folder under docker/: netrepro/<name>:<hash of its context>. */
export function imageTag(name: string): string {
  return tagOf(dockerDirSource(name));
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

async function present(tag: string): Promise<boolean> {
  const { docker } = await engine();
  return docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

export async function imageStatus(names = imageNames()): Promise<ImageStatus[]> {
  return Promise.all(names.map(async (name) => ({ name, tag: imageTag(name), present: await present(imageTag(name)) })));
}

export interface BuildOptions {
  log?: (line: string) => void;
  force?: boolean;
  noCache?: boolean;
}

const building = new Map<string, Promise<void>>();

/** Builds one image if it is missing (or `force`), after the images it needs. Concurrent calls share one build. */
export async function ensureSource(src: ImageSource, opts: BuildOptions = {}): Promise<string> {
  const tag = tagOf(src);
  if (src.needs.length) await ensureImages(src.needs, { ...opts, force: false });
  if (!opts.force && (await present(tag))) return tag;
  let p = building.get(tag);
  if (!p) {
    p = buildImage(src, tag, opts).finally(() => building.delete(tag));
    building.set(tag, p);
  }
  await p;
  return tag;
}

/** Builds the docker/ images that are missing; the ones already there cost one inspect each. */
export async function ensureImages(names: readonly string[], opts: BuildOptions = {}): Promise<void> {
  await Promise.all([...new Set(names)].filter(isLocalImage).map((n) => ensureSource(dockerDirSource(n), opts)));
}

async function buildImage(src: ImageSource, tag: string, opts: BuildOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  const { docker } = await engine();
  const started = Date.now();
  log(`building image ${tag}`);
  const dir = mkdtempSync(join(tmpdir(), "netrepro-build-"));
  const tail: string[] = [];
  try {
    for (const [path, f] of src.files) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), f.content, { mode: f.mode });
    }
    const stream = await docker.buildImage(
      { context: dir, src: [...src.files.keys()] },
      {
        t: tag,
        labels: { [LABEL_IMAGE]: src.name, [LABEL_HASH]: tag.split(":")[1]! },
        buildargs: buildArgs(src),
        rm: true,
        forcerm: true,
        nocache: opts.noCache ?? false,
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
          const text = (event.stream ?? event.error ?? "").replace(/\x1b\[[0-9;]*m/g, "").trimEnd();
          if (!text) return;
          tail.push(text);
          if (tail.length > 25) tail.shift();
          if (/^Step \d+\/\d+ :/.test(text)) log(`  ${src.name}: ${text.slice(0, 160)}`);
        },
      );
    });
  } catch (err) {
    throw new EnvironmentError(`building image ${tag} failed: ${errorMessage(err)}\n  last build output:\n    ${tail.join("\n    ")}`, { cause: err });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await pruneOldTags(src.name, tag);
}

/** Removes earlier builds of the same image name; an image still in use stays. */
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

/**
 * A build context from a generated Dockerfile and a folder on disk placed under `prefix`; the
 * images it needs come from its `ARG NETREPRO_<NAME>_IMAGE` lines, as for docker/ folders.
 */
export function sourceFromFolder(name: string, dockerfile: string, dir: string, prefix: string): ImageSource {
  const files = existsSync(dir) ? readTree(dir, new Map(), prefix) : new Map<string, { content: Buffer; mode: number }>();
  files.set("Dockerfile", { content: Buffer.from(dockerfile), mode: 0o644 });
  return { name, files, needs: imageArgs(dockerfile) };
}
