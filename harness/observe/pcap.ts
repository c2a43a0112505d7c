/**
 * Reading packet captures (tcpdump's pcap files) into TCP segments, and classifying them:
 * keepalive probes, retransmissions, data, resets. Captures made with `tcpdump -i any` carry, per
 * packet, whether it arrived at the capturing host or left it; on a router that tells a packet
 * that crossed it (seen arriving and leaving) from one it dropped (seen arriving only).
 *
 * Why our own reader rather than tshark: the classification needs per-flow sequence arithmetic
 * either way, the format is small (pcap + Linux cooked headers + IPv4 + TCP), and tshark would add
 * about 100 MB of dependencies to the router image.
 */

export interface TcpSegment {
  /** Epoch milliseconds. */
  at: number;
  /** The packet arrived at the capturing host (incoming) or left it (outgoing). */
  direction: "in" | "out";
  ifindex: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: { syn: boolean; ack: boolean; fin: boolean; rst: boolean; psh: boolean };
  /** TCP payload length (from the IP header, so correct even when the capture was cut short). */
  len: number;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

export function parsePcap(buf: Buffer): TcpSegment[] {
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4) [le, nano] = [true, false];
  else if (magic === 0xa1b23c4d) [le, nano] = [true, true];
  else if (magic === 0xd4c3b2a1) [le, nano] = [false, false];
  else if (magic === 0x4d3cb2a1) [le, nano] = [false, true];
  else throw new Error(`not a pcap file (magic ${magic.toString(16)})`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  const out: TcpSegment[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const start = off + 16;
    off = start + incl;
    if (off > buf.length) break;
    const at = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    const pkt = buf.subarray(start, start + incl);
    let ip: Buffer;
    let direction: "in" | "out" = "in";
    let ifindex = 0;
    if (linktype === LINKTYPE_LINUX_SLL2) {
      if (pkt.length < 20 || pkt.readUInt16BE(0) !== 0x0800) continue;
      ifindex = pkt.readUInt32BE(4);
      direction = pkt[10] === 4 ? "out" : "in";
      ip = pkt.subarray(20);
    } else if (linktype === LINKTYPE_LINUX_SLL) {
      if (pkt.length < 16 || pkt.readUInt16BE(14) !== 0x0800) continue;
      direction = pkt.readUInt16BE(0) === 4 ? "out" : "in";
      ip = pkt.subarray(16);
    } else if (linktype === LINKTYPE_ETHERNET) {
      if (pkt.length < 14 || pkt.readUInt16BE(12) !== 0x0800) continue;
      ip = pkt.subarray(14);
    } else {
      throw new Error(`unsupported link type ${linktype}`);
    }
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 6) continue;
    const ihl = (ip[0]! & 0x0f) * 4;
    const total = ip.readUInt16BE(2);
    const tcp = ip.subarray(ihl);
    if (tcp.length < 20) continue;
    const doff = (tcp[12]! >> 4) * 4;
    const f = tcp[13]!;
    out.push({
      at,
      direction,
      ifindex,
      src: `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`,
      dst: `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`,
      sport: tcp.readUInt16BE(0),
      dport: tcp.readUInt16BE(2),
      seq: tcp.readUInt32BE(4),
      ack: tcp.readUInt32BE(8),
      flags: { fin: !!(f & 1), syn: !!(f & 2), rst: !!(f & 4), psh: !!(f & 8), ack: !!(f & 16) },
      len: Math.max(0, total - ihl - doff),
    });
  }
  return out;
}

export type SegmentKind = "syn" | "data" | "retransmission" | "keepalive" | "ack" | "fin" | "rst";

export interface ClassifiedSegment extends TcpSegment {
  kind: SegmentKind;
  /** "client" when sent toward the service port, "server" when sent from it. */
  side: "client" | "server";
  /** Seen leaving the capturing host as well as arriving: it crossed (a router forwarded it). */
  crossed: boolean;
  /** Seen leaving only: the capturing host made it (a firewall's RST in the name of the server). */
  forged: boolean;
}

const seqAfter = (a: number, b: number) => ((a - b) | 0) > 0;

/**
 * Classifies the segments of the flows to `servicePort`, in capture order. A keepalive probe is
 * a segment with at most one byte whose sequence number is one below what its sender already
 * sent; a retransmission carries data at or below what was already sent.
 */
export function classify(segments: readonly TcpSegment[], servicePort: number): ClassifiedSegment[] {
  const relevant = segments.filter((s) => s.sport === servicePort || s.dport === servicePort);
  // A forwarded packet is captured twice: arriving, then leaving. Pair them up first, without the
  // addresses: a DNAT rule changes the destination address between the two copies, not the ports.
  const key = (s: TcpSegment) => `${s.sport}>${s.dport}#${s.seq}#${s.ack}#${s.len}#${s.flags.syn}${s.flags.fin}${s.flags.rst}`;
  const outs = new Map<string, number>();
  for (const s of relevant) if (s.direction === "out") outs.set(key(s), (outs.get(key(s)) ?? 0) + 1);
  const nextSeq = new Map<string, number>(); // per sender: highest seq + len sent so far
  const result: ClassifiedSegment[] = [];
  for (const s of relevant) {
    if (s.direction === "out") continue;
    const k = key(s);
    const crossedCount = outs.get(k) ?? 0;
    const crossed = crossedCount > 0;
    if (crossed) outs.set(k, crossedCount - 1);
    const sender = `${s.src}:${s.sport}>${s.dst}:${s.dport}`;
    const side = s.dport === servicePort ? "client" : "server";
    const sent = nextSeq.get(sender);
    const end = (s.seq + s.len + (s.flags.syn || s.flags.fin ? 1 : 0)) >>> 0;
    let kind: SegmentKind;
    if (s.flags.rst) kind = "rst";
    else if (s.flags.syn) kind = "syn";
    else if (sent !== undefined && s.len <= 1 && ((s.seq + 1) >>> 0) === sent && !s.flags.fin) kind = "keepalive";
    else if (s.len > 0 && sent !== undefined && !seqAfter(end, sent)) kind = "retransmission";
    else if (s.flags.fin) kind = "fin";
    else if (s.len > 0) kind = "data";
    else kind = "ack";
    if (sent === undefined || seqAfter(end, sent)) nextSeq.set(sender, end);
    result.push({ ...s, kind, side, crossed, forged: false });
  }
  // What left without having arrived was made here: a REJECT's RST, say.
  for (const s of relevant) {
    if (s.direction !== "out") continue;
    const k = key(s);
    const left = outs.get(k) ?? 0;
    if (left === 0) continue;
    outs.set(k, left - 1);
    const kind: SegmentKind = s.flags.rst ? "rst" : s.flags.syn ? "syn" : s.flags.fin ? "fin" : s.len > 0 ? "data" : "ack";
    result.push({ ...s, kind, side: s.dport === servicePort ? "client" : "server", crossed: true, forged: true });
  }
  return result.sort((a, b) => a.at - b.at);
}
