/**
 * haproxy: Debian's HAProxy 2.6 in master-worker mode. The configuration comes from a fixture;
 * the runtime API ("stats socket") and the master CLI are driven through hapctl in the image.
 */
import { z } from "zod";
import { defineAction, defineComponent, type ComponentInstance, type StepContext } from "../registry.ts";
import { errorMessage, ScenarioRuntimeError } from "../errors.ts";
import { fixtureRef, realDuration } from "../schema/types.ts";

const CONFIG_PATH = "/etc/haproxy/haproxy.cfg";

/** The runtime API socket and the state file, as the configuration declares them. */
export function configSockets(config: string): { apiSocket: string | undefined; stateFile: string | undefined } {
  const lines = config.split("\n").map((l) => l.replace(/#.*$/, "").trim());
  const apiSocket = lines.map((l) => /^stats\s+socket\s+(?:unix@)?(\/\S+)/.exec(l)?.[1]).find(Boolean);
  const base = lines.map((l) => /^server-state-base\s+(\S+)/.exec(l)?.[1]).find(Boolean);
  let stateFile = lines.map((l) => /^server-state-file\s+(\S+)/.exec(l)?.[1]).find(Boolean);
  if (stateFile && !stateFile.startsWith("/") && base) stateFile = `${base.replace(/\/$/, "")}/${stateFile}`;
  return { apiSocket, stateFile };
}

/** Runs hapctl in the container (the runtime API socket from the instance's state); throws on failure. */
export async function hapctl(instance: ComponentInstance, args: string[], what: string) {
  const apiSocket = instance.state.get("apiSocket") as string | undefined;
  const res = await instance.container.exec(["hapctl", ...args], {
    env: apiSocket ? { HAPROXY_API_SOCK: apiSocket } : {},
    timeoutMs: 10_000,
  });
  if (res.exitCode !== 0) {
    throw new ScenarioRuntimeError(
      `component \`${instance.name}\` (haproxy): ${what} failed with exit ${res.exitCode}: ${(res.stderr || res.stdout).trim()}`,
    );
  }
  return res;
}

interface ProcInfo {
  masterReloads: number;
  failedReloads: number;
  workers: number[];
}

export function parseShowProc(text: string): ProcInfo {
  let masterReloads = -1;
  let failedReloads = 0;
  const workers: number[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) {
      section = line.trim();
      continue;
    }
    const cols = line.trim().split(/\s+/);
    if (cols[1] === "master") {
      masterReloads = Number(cols[2]);
      failedReloads = Number(/failed: (\d+)/.exec(line)?.[1] ?? 0);
    } else if (cols[1] === "worker" && section === "# workers") {
      workers.push(Number(cols[0]));
    }
  }
  return { masterReloads, failedReloads, workers };
}

export async function showProc(instance: ComponentInstance): Promise<ProcInfo> {
  return parseShowProc((await hapctl(instance, ["master", "show proc"], "show proc")).stdout);
}

/**
 * Reloads through the master CLI and waits until a new worker serves the runtime API, so that a
 * command sent right after the reload reaches the new configuration, not the old worker.
 */
export async function reload(instance: ComponentInstance, ctx: StepContext, timeoutMs: number) {
  const before = await showProc(instance);
  const sentAt = Date.now();
  await hapctl(instance, ["master", "reload"], "reload");
  const deadline = sentAt + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (ctx.signal.aborted) throw new ScenarioRuntimeError("reload interrupted");
    // While the master re-executes itself, its CLI socket refuses connections for a moment.
    let now: ProcInfo;
    try {
      now = await showProc(instance);
    } catch (err) {
      lastError = errorMessage(err);
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (now.failedReloads > before.failedReloads) {
      const log = instance.container.logLines().filter((l) => l.at >= sentAt - 1000).map((l) => l.line);
      throw new ScenarioRuntimeError(
        `component \`${instance.name}\` (haproxy): reload failed; log since the reload:\n  ${log.slice(-15).join("\n  ")}`,
      );
    }
    const fresh = now.workers.filter((w) => !before.workers.includes(w));
    if (now.masterReloads > before.masterReloads && fresh.length > 0) {
      const info = await hapctl(instance, ["api", "show info"], "show info").catch((err: unknown) => {
        lastError = errorMessage(err);
        return undefined;
      });
      const pid = Number(/^Pid: (\d+)/m.exec(info?.stdout ?? "")?.[1]);
      if (fresh.includes(pid)) return { stdout: `reloaded: worker ${pid} serves the runtime API\n`, stderr: "" };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ScenarioRuntimeError(
    `component \`${instance.name}\` (haproxy): no new worker took over the runtime API within ${timeoutMs} ms of the reload` +
      (lastError ? `; last error: ${lastError}` : ""),
  );
}

const commandArgs = z.strictObject({ command: z.string().min(1).describe("the command, as typed into socat") });

export default defineComponent({
  kind: "haproxy",
  description:
    "Debian's HAProxy 2.6 in master-worker mode, configured from a fixture. Its runtime API must be " +
    "declared in the configuration with `stats socket <path> level admin`.",
  images: ["haproxy"],
  schema: z.strictObject({
    config: fixtureRef("the haproxy.cfg to start with"),
    reloadTimeout: realDuration("how long a reload may take").prefault("10s"),
  }),
  container(spec, ctx) {
    const config = ctx.fixture(spec.config);
    return {
      image: "haproxy",
      files: [{ path: CONFIG_PATH, content: config }],
      ready: { log: /Loading success\./ },
    };
  },
  async afterStart(instance, ctx) {
    const config = ctx.fixture(instance.spec["config"] as never);
    const { apiSocket, stateFile } = configSockets(config);
    if (!apiSocket) {
      throw new ScenarioRuntimeError(
        `component \`${instance.name}\` (haproxy): the configuration declares no \`stats socket\`; add ` +
          "`stats socket /run/haproxy/admin.sock mode 600 level admin` to its global section",
      );
    }
    instance.state.set("apiSocket", apiSocket);
    if (stateFile) instance.state.set("stateFile", stateFile);
  },
  actions: {
    "save-state": defineAction({
      description:
        "Writes `show servers state` into the state file (the configuration's `server-state-file`, or `file`), " +
        "as a systemd ExecReload hook would before reloading.",
      schema: z.strictObject({ file: z.string().optional().describe("where to write it; default: the configured state file") }),
      async run(instance, args) {
        const file = args.file ?? (instance.state.get("stateFile") as string | undefined);
        if (!file) {
          throw new ScenarioRuntimeError(
            `component \`${instance.name}\` (haproxy): save-state needs \`server-state-file\` in the configuration or a \`file\``,
          );
        }
        const res = await hapctl(instance, ["save-state", file], "save-state");
        return { stdout: res.stdout, stderr: res.stderr, exitCode: 0 };
      },
    }),
    "replace-config": defineAction({
      description: "Replaces haproxy.cfg with another fixture; nothing is reloaded until `reload` or `restart`.",
      schema: z.strictObject({ config: fixtureRef("the new haproxy.cfg") }),
      async run(instance, args, ctx) {
        const config = ctx.fixture(args.config);
        await instance.container.copyContent([{ path: CONFIG_PATH, content: config }]);
        const { apiSocket, stateFile } = configSockets(config);
        if (apiSocket) instance.state.set("apiSocket", apiSocket);
        if (stateFile) instance.state.set("stateFile", stateFile);
        return { stdout: config, stderr: "", exitCode: 0 };
      },
    }),
    reload: defineAction({
      description:
        "Reloads through the master CLI (`reload`) and waits until the new worker serves the runtime API. " +
        "Old workers keep their connections, as in production.",
      schema: z.strictObject({}),
      async run(instance, _args, ctx) {
        const timeout = (instance.spec["reloadTimeout"] as { ms: number }).ms;
        return { ...(await reload(instance, ctx, timeout)), exitCode: 0 };
      },
    }),
    restart: defineAction({
      description: "Stops HAProxy and starts it again (the container restarts; files, including the state file, stay).",
      schema: z.strictObject({}),
      async run(instance) {
        await instance.container.restart();
        return { stdout: "restarted\n", stderr: "", exitCode: 0 };
      },
    }),
    api: defineAction({
      description: "Sends one command to the runtime API (stats socket); its answer is the step's stdout.",
      schema: commandArgs,
      async run(instance, args) {
        const res = await hapctl(instance, ["api", args.command], `runtime API command \`${args.command}\``);
        return { stdout: res.stdout, stderr: res.stderr, exitCode: 0 };
      },
    }),
    master: defineAction({
      description: "Sends one command to the master CLI; its answer is the step's stdout.",
      schema: commandArgs,
      async run(instance, args) {
        const res = await hapctl(instance, ["master", args.command], `master CLI command \`${args.command}\``);
        return { stdout: res.stdout, stderr: res.stderr, exitCode: 0 };
      },
    }),
  },
  observables: {},
});
