/** Reading captures and telling keepalive probes, retransmissions and drops apart. */
import { describe, expect, test } from "vitest";
import { classify, parsePcap } from "../harness/observe/pcap.ts";
import { firstFileOfTar } from "../harness/runtime/container.ts";

interface Pkt {
  t: number; // seconds
  dir: "in" | "out";
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: string; // S, A, P, F, R
  len: number;
}

/** A pcap file with LINUX_SLL2 frames, as `tcpdump -i any` writes. */
function pcap(pkts: Pkt[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(276, 20);
  const frames = pkts.map((p) => {
    const sll = Buffer.alloc(20);
    sll.writeUInt16BE(0x0800, 0);
    sll.writeUInt32BE(p.dir === "in" ? 7 : 9, 4);
    sll[10] = p.dir === "out" ? 4 : 0;
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + p.len, 2);
    ip[9] = 6;
    p.src.split(".").forEach((o, i) => (ip[12 + i] = Number(o)));
    p.dst.split(".").forEach((o, i) => (ip[16 + i] = Number(o)));
    const tcp = Buffer.alloc(20 + p.len);
    tcp.writeUInt16BE(p.sport, 0);
    tcp.writeUInt16BE(p.dport, 2);
    tcp.writeUInt32BE(p.seq >>> 0, 4);
    tcp.writeUInt32BE(p.ack >>> 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = [...p.flags].reduce((f, c) => f | ({ F: 1, S: 2, R: 4, P: 8, A: 16 } as Record<string, number>)[c]!, 0);
    const data = Buffer.concat([sll, ip, tcp]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.t), 0);
    rec.writeUInt32LE(Math.round((p.t % 1) * 1e6), 4);
    rec.writeUInt32LE(data.length, 8);
    rec.writeUInt32LE(data.length, 12);
    return Buffer.concat([rec, data]);
  });
  return Buffer.concat([head, ...frames]);
}

const C = "10.0.1.2";
const S = "10.0.2.2";
const both = (p: Omit<Pkt, "dir">): Pkt[] => [{ ...p, dir: "in" }, { ...p, dir: "out" }];

describe("pcap", () => {
  const segments = parsePcap(
    pcap([
      ...both({ t: 100, src: C, dst: S, sport: 5000, dport: 2376, seq: 1000, ack: 0, flags: "S", len: 0 }),
      ...both({ t: 100.001, src: S, dst: C, sport: 2376, dport: 5000, seq: 9000, ack: 1001, flags: "SA", len: 0 }),
      ...both({ t: 100.002, src: C, dst: S, sport: 5000, dport: 2376, seq: 1001, ack: 9001, flags: "PA", len: 50 }),
      ...both({ t: 100.003, src: S, dst: C, sport: 2376, dport: 5000, seq: 9001, ack: 1051, flags: "PA", len: 30 }),
      // a keepalive probe from the client that crossed: seq one below what it sent
      ...both({ t: 101, src: C, dst: S, sport: 5000, dport: 2376, seq: 1050, ack: 9031, flags: "A", len: 0 }),
      // server data after the cut, dropped (arrives, never leaves), then retransmitted
      { t: 110, dir: "in", src: S, dst: C, sport: 2376, dport: 5000, seq: 9031, ack: 1051, flags: "PA", len: 13 },
      { t: 110.2, dir: "in", src: S, dst: C, sport: 2376, dport: 5000, seq: 9031, ack: 1051, flags: "PA", len: 13 },
      // unrelated flow
      ...both({ t: 111, src: C, dst: S, sport: 5001, dport: 80, seq: 1, ack: 0, flags: "S", len: 0 }),
    ]),
  );

  test("reads SLL2 frames: direction, addresses, ports, flags, payload length", () => {
    expect(segments).toHaveLength(14);
    expect(segments[4]).toMatchObject({ direction: "in", src: C, dst: S, sport: 5000, dport: 2376, len: 50, flags: { psh: true, ack: true } });
    expect(segments[5]!.direction).toBe("out");
    expect(segments[0]!.at).toBe(100_000);
  });

  test("classifies probes, data, retransmissions; pairs crossings; keeps to the service port", () => {
    const c = classify(segments, 2376).map((s) => `${s.side} ${s.kind} ${s.crossed ? "crossed" : "dropped"}`);
    expect(c).toEqual([
      "client syn crossed",
      "server syn crossed",
      "client data crossed",
      "server data crossed",
      "client keepalive crossed",
      "server data dropped",
      "server retransmission dropped",
    ]);
  });

  test("a DNAT between the two copies still counts as crossed", () => {
    const s = parsePcap(pcap([
      { t: 1, dir: "in", src: C, dst: "10.0.1.9", sport: 6000, dport: 2376, seq: 5, ack: 0, flags: "S", len: 0 },
      { t: 1, dir: "out", src: C, dst: S, sport: 6000, dport: 2376, seq: 5, ack: 0, flags: "S", len: 0 },
    ]));
    expect(classify(s, 2376).map((x) => x.crossed)).toEqual([true]);
  });

  test("rejects what is not a capture", () => {
    expect(() => parsePcap(Buffer.alloc(64, 1))).toThrow(/not a pcap file/);
  });
});

test("firstFileOfTar reads the file the archive endpoint returns", () => {
  const header = Buffer.alloc(512);
  header.write("ca.pem", 0);
  header.write("0000644\0", 100);
  header.write(`${(5).toString(8).padStart(11, "0")}\0`, 124);
  header.write("0", 156);
  const tar = Buffer.concat([header, Buffer.from("hello"), Buffer.alloc(507), Buffer.alloc(1024)]);
  expect(firstFileOfTar(tar).toString()).toBe("hello");
  expect(() => firstFileOfTar(Buffer.alloc(1024))).toThrow(/no file/);
});

test("a segment that only leaves the capturing host was made there (a firewall's RST)", () => {
  const s = parsePcap(pcap([
    ...both({ t: 1, src: C, dst: S, sport: 7000, dport: 2376, seq: 10, ack: 0, flags: "S", len: 0 }),
    { t: 2, dir: "in", src: C, dst: S, sport: 7000, dport: 2376, seq: 11, ack: 5, flags: "A", len: 0 },
    { t: 2, dir: "out", src: S, dst: C, sport: 2376, dport: 7000, seq: 5, ack: 0, flags: "R", len: 0 },
  ]));
  const c = classify(s, 2376);
  expect(c.map((x) => `${x.side} ${x.kind} ${x.crossed ? "crossed" : "dropped"}${x.forged ? " forged" : ""}`)).toEqual([
    "client syn crossed",
    "client ack dropped",
    "server rst crossed forged",
  ]);
});
