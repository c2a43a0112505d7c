/**
 * One timeline per run: every step, log line, action and verdict with its offset from the
 * start of the run, so a failure can be read in the order things happened.
 */
export type TimelineKind = "run" | "component" | "step" | "log" | "fault" | "expect" | "note";

export interface TimelineEvent {
  /** Milliseconds since the run started. */
  t: number;
  kind: TimelineKind;
  source: string;
  text: string;
  data?: unknown;
}

export class Timeline {
  readonly startedAt: number;
  readonly events: TimelineEvent[] = [];
  private readonly listeners: ((e: TimelineEvent) => void)[] = [];

  constructor(startedAt = Date.now()) {
    this.startedAt = startedAt;
  }

  now(): number {
    return Date.now() - this.startedAt;
  }

  /** Offset of an absolute epoch time (ms) on this timeline. */
  offset(epochMs: number): number {
    return epochMs - this.startedAt;
  }

  add(kind: TimelineKind, source: string, text: string, data?: unknown, t = this.now()): TimelineEvent {
    const e: TimelineEvent = data === undefined ? { t, kind, source, text } : { t, kind, source, text, data };
    this.events.push(e);
    for (const l of this.listeners) l(e);
    return e;
  }

  onEvent(listener: (e: TimelineEvent) => void): void {
    this.listeners.push(listener);
  }

  sorted(): TimelineEvent[] {
    return [...this.events].sort((a, b) => a.t - b.t);
  }
}
