import type { OutputLine } from "@ops/domain/schemas/automation-runs";

export type LogFilter = { ordinal?: number; step?: string; text?: string };
const STREAM_CODES = { stdout: 0, stderr: 1, engine: 2 } as const;
export const STREAM_NAMES = ["stdout", "stderr", "engine"] as const;

/**
 * A run's output as columns (a million line objects would cost far more memory than
 * four arrays), appended to as pages or live batches arrive. Views filter incrementally:
 * a new batch is scanned once, never the whole log again.
 */
export class LogStore {
  seq: number[] = [];
  ordinal: number[] = [];
  step: string[] = [];
  stream: number[] = [];
  text: string[] = [];
  lastSeq = 0;
  complete = false;
  version = 0;
  private listeners = new Set<() => void>();

  get size() {
    return this.text.length;
  }

  append(lines: readonly OutputLine[]) {
    let added = false;
    for (const l of lines) {
      // A reconnect or an overlapping poll may deliver a line twice: sequence numbers only grow.
      if (l.seq <= this.lastSeq) continue;
      this.seq.push(l.seq);
      this.ordinal.push(l.ordinal);
      this.step.push(l.stepId);
      this.stream.push(STREAM_CODES[l.stream]);
      this.text.push(l.text);
      this.lastSeq = l.seq;
      added = true;
    }
    if (added) this.bump();
  }

  finish() {
    if (this.complete) return;
    this.complete = true;
    this.bump();
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  getVersion = () => this.version;

  private bump() {
    this.version++;
    for (const l of this.listeners) l();
  }

  /** The line indexes a filter keeps, extended in place as lines arrive. */
  view(filter: LogFilter): LogView {
    return new LogView(this, filter);
  }
}

export class LogView {
  private indexes: number[] = [];
  private scanned = 0;
  private readonly needle: string;
  readonly all: boolean;
  constructor(
    private readonly store: LogStore,
    private readonly filter: LogFilter,
  ) {
    this.needle = (filter.text ?? "").toLowerCase();
    this.all = filter.ordinal === undefined && !filter.step && !this.needle;
  }

  /** How many lines pass, after scanning what arrived since the last call. */
  count(): number {
    if (this.all) return this.store.size;
    const s = this.store;
    const { ordinal, step } = this.filter;
    for (let i = this.scanned; i < s.size; i++) {
      if (ordinal !== undefined && s.ordinal[i] !== ordinal) continue;
      if (step && s.step[i] !== step) continue;
      if (this.needle && !s.text[i]!.toLowerCase().includes(this.needle)) continue;
      this.indexes.push(i);
    }
    this.scanned = s.size;
    return this.indexes.length;
  }

  /** The store index of the n-th visible line. */
  at(n: number): number {
    return this.all ? n : this.indexes[n]!;
  }
}
