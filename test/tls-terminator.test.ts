/** The configuration a tls-terminator runs with, from its fields. */
import { describe, expect, test } from "vitest";
import tlsTerminator, { terminatorConfig } from "../harness/components/tls-terminator.ts";
import { Duration } from "../harness/schema/types.ts";

type Spec = Parameters<typeof terminatorConfig>[0];
const parse = (fields: Record<string, unknown>) => tlsTerminator.schema.parse({ certificate: "a", upstream: "upstream:8080", ...fields }) as unknown as Spec;
const scaled = <T>(spec: T, timescale: number): T => {
  for (const v of Object.values(spec as object)) if (v instanceof Duration) v.ms = v.writtenMs / timescale;
  return spec;
};

describe("tls-terminator", () => {
  test("http: keep-alive timeouts from idleTimeout, scaled; no soft-stop settings by default", () => {
    const cfg = terminatorConfig(scaled(parse({}), 100));
    expect(cfg).toContain("    mode http\n");
    expect(cfg).toContain("    timeout http-keep-alive 9000ms\n");
    expect(cfg).toContain("    timeout client 9000ms\n");
    expect(cfg).toContain("    bind :443 ssl crt /etc/haproxy/certs/site.pem\n");
    expect(cfg).toContain("    server upstream upstream:8080\n");
    expect(cfg).toContain("stats socket /run/haproxy/admin.sock mode 600 level admin");
    expect(cfg).not.toMatch(/close-spread-time|hard-stop-after/);
  });

  test("tcp with close-spread-time and hard-stop-after", () => {
    const cfg = terminatorConfig(scaled(parse({ mode: "tcp", closeSpreadTime: "infinite", hardStopAfter: "1m" }), 100));
    expect(cfg).toContain("    mode tcp\n    log global\n    option tcplog\n");
    expect(cfg).not.toContain("http-keep-alive");
    expect(cfg).toContain("    close-spread-time infinite\n");
    expect(cfg).toContain("    hard-stop-after 600ms\n");
    expect(terminatorConfig(scaled(parse({ closeSpreadTime: "10s" }), 10))).toContain("    close-spread-time 1000ms\n");
  });

  test("bad fields are refused", () => {
    expect(() => parse({ upstream: "upstream" })).toThrow(/expected host:port/);
    expect(() => parse({ closeSpreadTime: "forever" })).toThrow();
  });
});
