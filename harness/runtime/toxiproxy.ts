/**
 * The one place that talks to a Toxiproxy server's API, through toxiproxy-node-client. The
 * client's types are loose where toxics differ (attributes are a generic T); this wrapper gives
 * each toxic of Toxiproxy v2.12 its own attribute shape, so callers need no casts.
 */
import { Toxiproxy, type ICreateToxicBody, type Proxy } from "toxiproxy-node-client";
import { ScenarioRuntimeError, errorMessage } from "../errors.ts";

/** Toxics of Toxiproxy v2.12 and their attributes, as the server takes them. */
export type ToxicAttributes =
  | { type: "latency"; latency: number; jitter: number } // ms
  | { type: "bandwidth"; rate: number } // KB/s
  | { type: "slow_close"; delay: number } // ms
  | { type: "timeout"; timeout: number } // ms; 0: never close, drop data until removed
  | { type: "reset_peer"; timeout: number } // ms
  | { type: "slicer"; average_size: number; size_variation: number; delay: number } // bytes, bytes, µs
  | { type: "limit_data"; bytes: number };

export interface ToxicRequest {
  proxy: string;
  name: string;
  stream: "upstream" | "downstream";
  toxicity: number;
  toxic: ToxicAttributes;
}

export class ToxiproxyApi {
  private readonly client: Toxiproxy;
  readonly url: string;

  constructor(url: string) {
    this.url = url;
    this.client = new Toxiproxy(url);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ScenarioRuntimeError(`toxiproxy at ${this.url}: ${what} failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  version(): Promise<string> {
    return this.call("GET /version", () => this.client.getVersion());
  }

  createProxy(p: { name: string; listen: string; upstream: string }): Promise<Proxy> {
    return this.call(`creating proxy ${p.name}`, () => this.client.createProxy({ ...p, enabled: true }));
  }

  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call(`${enabled ? "enabling" : "disabling"} proxy ${proxy}`, async () => {
      const p = await this.client.get(proxy);
      await p.update({ enabled, listen: p.listen, upstream: p.upstream });
    });
  }

  /** Adds a toxic; returns how to remove it. */
  async addToxic(req: ToxicRequest): Promise<() => Promise<void>> {
    const { type, ...attributes } = req.toxic;
    const body: ICreateToxicBody<typeof attributes> = { name: req.name, type, stream: req.stream, toxicity: req.toxicity, attributes };
    const toxic = await this.call(`adding ${type} toxic ${req.name} to ${req.proxy}`, async () => (await this.client.get(req.proxy)).addToxic(body));
    return () => this.call(`removing toxic ${req.name}`, () => toxic.remove());
  }
}
