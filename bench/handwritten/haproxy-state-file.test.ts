/**
 * The HAProxy state-file incident written by hand with vitest + testcontainers, the way one would
 * without netrepro: the benchmark's baseline. Same images, same steps, same waits, same checks.
 * Run by bench/run.ts (not part of `npm test`).
 */
import { writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GenericContainer, Network, Wait, type StartedTestContainer } from "testcontainers";
import { expect, test } from "vitest";
import { imageTag, REPO_ROOT } from "../../harness/runtime/images.ts";

process.env["TESTCONTAINERS_RYUK_DISABLED"] ??= "true";
const DIR = join(REPO_ROOT, "scenarios", "haproxy-server-state-file-stale-port");
const before = readFileSync(join(DIR, "haproxy-1443.cfg"), "utf8");
const after = (name: string) => readFileSync(join(DIR, "haproxy-2443.cfg"), "utf8").replaceAll("${server_name}", name);
const CURL = ["sh", "-c", "curl -sS -k --max-time 5 -w 'http_code=%{http_code}\\n' https://lb/"];
const timings: Record<string, number> = {};

async function hapctl(lb: StartedTestContainer, ...args: string[]) {
  const r = await lb.exec(["hapctl", ...args]);
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

async function reload(lb: StartedTestContainer) {
  const workers = (s: string) => s.split("# workers")[1]!.split("#")[0]!.trim().split("\n").map((l) => l.split(/\s+/)[0]);
  const old = workers(await hapctl(lb, "master", "show proc"));
  await hapctl(lb, "master", "reload");
  for (;;) {
    const now = workers(await hapctl(lb, "master", "show proc")).filter((w) => !old.includes(w));
    const pid = /^Pid: (\d+)/m.exec(await hapctl(lb, "api", "show info"))?.[1];
    if (now.length && now.includes(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function variant(name: string, serverName: string, apply: "reload" | "restart", bug: boolean) {
  const t0 = performance.now();
  const network = await new Network().start();
  const backend = new GenericContainer(imageTag("tools"))
    .withNetwork(network)
    .withNetworkAliases("backend")
    .withCommand(["netrepro-backend", "1443:tls", "2443:proxy-v2+tls", "1080:http"])
    .withWaitStrategy(Wait.forLogMessage(/"event":"ready"/))
    .start();
  const client = new GenericContainer(imageTag("tools")).withNetwork(network).withNetworkAliases("client").withCommand(["sleep", "infinity"]).start();
  const [b, c] = await Promise.all([backend, client]);
  const lb = await new GenericContainer(imageTag("haproxy"))
    .withNetwork(network)
    .withNetworkAliases("lb")
    .withCopyContentToContainer([{ content: before, target: "/etc/haproxy/haproxy.cfg" }])
    .withWaitStrategy(Wait.forLogMessage(/Loading success\./))
    .start();
  try {
    const first = await c.exec(CURL);
    expect(first.stdout).toMatch(/port=1443 .*\n.*http_code=200/);
    await hapctl(lb, "save-state", "/var/lib/haproxy/state/global");
    await lb.copyContentToContainer([{ content: after(serverName), target: "/etc/haproxy/haproxy.cfg" }]);
    if (apply === "reload") await reload(lb);
    else await lb.restart({ timeout: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    const state = await hapctl(lb, "api", "show servers state pages_https");
    const row = state.split("\n").find((l) => l.split(" ")[3] === serverName)!.split(" ");
    expect(row[5]).toBe("2"); // running
    const res = await c.exec(CURL);
    const logs = await new Promise<string>((resolve) => {
      let text = "";
      void b.logs().then((s) => {
        s.on("data", (d: Buffer | string) => (text += d.toString()));
        setTimeout(() => resolve(text), 100);
      });
    });
    if (bug) {
      expect(row[18]).toBe("1443");
      expect(res.exitCode).toBe(35);
      expect(res.stderr).toContain("SSL_ERROR_SYSCALL");
      expect(logs).toMatch(/"event":"conn","port":1443,[^\n]*"first_bytes":"0d0a0d0a000d0a515549540a/);
      expect(logs).not.toMatch(/"event":"conn","port":2443/);
    } else {
      expect(row[18]).toBe("2443");
      expect(res.exitCode).toBe(0);
      expect(res.stdout).toMatch(/port=2443 .*\n.*http_code=200/);
      expect(logs).toContain(`"src":"${c.getIpAddress(network.getName())}:`);
    }
  } finally {
    await Promise.all([lb, b, c].map((x) => x.stop({ timeout: 0 })));
    await network.stop();
  }
  timings[name] = performance.now() - t0;
}

test("reload", () => variant("reload", "web-pages-01", "reload", true), 60_000);
test("restart", () => variant("restart", "web-pages-01", "restart", true), 60_000);
test("rename", () => variant("rename", "web-pages-01-proxyv2", "reload", false), 60_000);
test("write timings", () => {
  const out = process.env["NETREPRO_BENCH_OUT"];
  if (out) {
    mkdirSync(join(out, ".."), { recursive: true });
    writeFileSync(out, JSON.stringify(timings));
  }
});
