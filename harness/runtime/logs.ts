/**
 * Follows a container's log through the Docker API, keeping stdout and stderr apart and each
 * line's engine timestamp. Survives restarts: resume() continues after the last line seen.
 */
import type Dockerode from "dockerode";
import type { Timeline } from "../observe/timeline.ts";
import type { LogLine } from "./types.ts";

interface Waiter {
  pattern: RegExp;
  since: number;
  /** Only lines at or after this index of `lines` count. */
  fromIndex: number;
  resolve: (l: LogLine) => void;
}

/** RFC 3339 with nanoseconds to epoch ms (fractional) and a sortable nanosecond key. */
function parseTimestamp(ts: string): { ms: number; key: bigint } {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return { ms: Date.now(), key: 0n };
  const secs = Date.parse(`${m[1]}${m[3]}`) / 1000;
  const frac = (m[2] ?? "").padEnd(9, "0").slice(0, 9);
  return { ms: secs * 1000 + Number(frac) / 1e6, key: BigInt(secs) * 1_000_000_000n + BigInt(frac) };
}

export class LogFollower {
  readonly lines: LogLine[] = [];
  private lastKey = -1n;
  private lastSec = 0;
  private readonly partial: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  private waiters: Waiter[] = [];
  private stream: NodeJS.ReadableStream | undefined;
  private stopped = false;
  private readonly container: Dockerode.Container;
  private readonly source: string;
  private readonly timeline: Timeline;

  constructor(container: Dockerode.Container, source: string, timeline: Timeline) {
    this.container = container;
    this.source = source;
    this.timeline = timeline;
  }

  /** Starts following (again, after a restart) from the last line seen. */
  async resume(): Promise<void> {
    if (this.stopped) return;
    this.detach();
    const stream = (await this.container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      since: this.lastSec,
    })) as unknown as NodeJS.ReadableStream;
    this.stream = stream;
    let buf = Buffer.alloc(0);
    stream.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // Multiplexed frames: [stream, 0, 0, 0, size (uint32 BE)] then the payload.
      while (buf.length >= 8) {
        const size = buf.readUInt32BE(4);
        if (buf.length < 8 + size) break;
        const kind = buf[0] === 2 ? "stderr" : "stdout";
        this.feed(kind, buf.subarray(8, 8 + size).toString("utf8"));
        buf = buf.subarray(8 + size);
      }
    });
    stream.on("error", () => {});
  }

  private feed(kind: "stdout" | "stderr", text: string) {
    const all = this.partial[kind] + text;
    const parts = all.split("\n");
    this.partial[kind] = parts.pop() ?? "";
    for (const raw of parts) {
      const sp = raw.indexOf(" ");
      const ts = sp > 0 ? raw.slice(0, sp) : "";
      const { ms, key } = parseTimestamp(ts);
      if (key !== 0n && key <= this.lastKey) continue; // already seen before a restart
      if (key !== 0n) {
        this.lastKey = key;
        this.lastSec = Math.floor(ms / 1000);
      }
      const line: LogLine = { at: ms, stream: kind, line: (sp > 0 ? raw.slice(sp + 1) : raw).replace(/\r$/, "") };
      this.lines.push(line);
      const index = this.lines.length - 1;
      this.timeline.add("log", this.source, line.line, { stream: kind }, this.timeline.offset(ms));
      this.waiters = this.waiters.filter((w) => {
        if (index >= w.fromIndex && line.at >= w.since && w.pattern.test(line.line)) {
          w.resolve(line);
          return false;
        }
        return true;
      });
    }
  }

  /**
   * Resolves with the first line at or after `since` (engine time) that matches; with
   * `fromIndex`, only lines that arrived after the first `fromIndex` count, whatever their time
   * (readiness after a restart: the engine may stamp the first lines before its StartedAt).
   */
  waitFor(pattern: RegExp, since: number, timeoutMs: number, fromIndex = 0): Promise<LogLine> {
    const hit = this.lines.find((l, i) => i >= fromIndex && l.at >= since && pattern.test(l.line));
    if (hit) return Promise.resolve(hit);
    return new Promise<LogLine>((resolve, reject) => {
      const w: Waiter = { pattern, since, fromIndex, resolve: (l) => (clearTimeout(timer), resolve(l)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        const last = this.lines.slice(-5).map((l) => l.line).join("\n    ");
        reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms; last lines:\n    ${last || "(none)"}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  private detach() {
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    s?.removeAllListeners("data");
    s?.destroy?.();
    this.stream = undefined;
  }

  /** Stops following; gives lines still arriving a moment to land first. */
  async stop(settleMs = 100): Promise<void> {
    if (this.stopped) return;
    await new Promise((r) => setTimeout(r, settleMs));
    this.stopped = true;
    this.detach();
  }

  /** The log as an artifact: one line per log line, in order, so line numbers match evidence. */
  render(): string {
    return this.lines.map((l) => `${new Date(l.at).toISOString()} ${l.stream} ${l.line}`).join("\n") + (this.lines.length ? "\n" : "");
  }
}
