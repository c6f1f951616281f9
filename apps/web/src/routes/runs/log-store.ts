import type { OutputLine } from "@ops/domain/schemas/automation-runs";

export type LogFilter = { ordinal?: number; step?: string; text?: string };
const STREAM_CODES = { stdout: 0, stderr: 1, engine: 2 } as const;
export const STREAM_NAMES = ["stdout", "stderr", "engine"] as const;

/** Lines as columns (a million line objects would cost far more memory than five arrays). */
class Columns {
  seq: number[] = [];
  ordinal: number[] = [];
  step: string[] = [];
  stream: number[] = [];
  text: string[] = [];
  push(l: OutputLine) {
    this.seq.push(l.seq);
    this.ordinal.push(l.ordinal);
    this.step.push(l.stepId);
    this.stream.push(STREAM_CODES[l.stream]);
    this.text.push(l.text);
  }
  get size() {
    return this.text.length;
  }
}

/**
 * A run's output. A big run is read tail first (the newest lines are what a person opens
 * the page for): `tail` holds the lines after `tailFrom` and grows live, `head` is
 * backfilled from the start up to `tailFrom`. Both only ever append; sequence numbers
 * already held are ignored, so overlapping reads never show a line twice.
 */
export class LogStore {
  readonly head = new Columns();
  readonly tail = new Columns();
  headSeq: number;
  lastSeq: number;
  complete = false;
  version = 0;
  private listeners = new Set<() => void>();

  constructor(readonly tailFrom = 0) {
    this.headSeq = 0;
    this.lastSeq = tailFrom;
  }

  get size() {
    return this.head.size + this.tail.size;
  }
  /** Whether lines before the tail are still being read. */
  get backfilling() {
    return this.headSeq < this.tailFrom;
  }

  append(lines: readonly OutputLine[]) {
    let added = false;
    for (const l of lines) {
      if (l.seq <= this.lastSeq) continue;
      this.tail.push(l);
      this.lastSeq = l.seq;
      added = true;
    }
    if (added) this.bump();
  }

  /** Lines from the start; those at or past `tailFrom` are the tail's. `done`: the head reached the tail. */
  appendHead(lines: readonly OutputLine[], done: boolean) {
    for (const l of lines) {
      if (l.seq <= this.headSeq || l.seq > this.tailFrom) continue;
      this.head.push(l);
      this.headSeq = l.seq;
    }
    if (done || lines.some((l) => l.seq >= this.tailFrom)) this.headSeq = this.tailFrom;
    this.bump();
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

  /** The column set and local index of line `i` (head lines first). */
  locate(i: number): [Columns, number] {
    return i < this.head.size ? [this.head, i] : [this.tail, i - this.head.size];
  }
  text(i: number) {
    const [c, j] = this.locate(i);
    return c.text[j]!;
  }
  ordinal(i: number) {
    const [c, j] = this.locate(i);
    return c.ordinal[j]!;
  }
  step(i: number) {
    const [c, j] = this.locate(i);
    return c.step[j]!;
  }
  stream(i: number) {
    const [c, j] = this.locate(i);
    return c.stream[j]!;
  }

  view(filter: LogFilter): LogView {
    return new LogView(this, filter);
  }
}

/** The lines a filter keeps; each part is scanned once, as it grows, never the whole log again. */
export class LogView {
  private headHits: number[] = [];
  private tailHits: number[] = [];
  private headScanned = 0;
  private tailScanned = 0;
  private readonly needle: string;
  readonly all: boolean;
  constructor(
    private readonly store: LogStore,
    private readonly filter: LogFilter,
  ) {
    this.needle = (filter.text ?? "").toLowerCase();
    this.all = filter.ordinal === undefined && !filter.step && !this.needle;
  }

  private scan(c: Columns, from: number, hits: number[]) {
    const { ordinal, step } = this.filter;
    for (let i = from; i < c.size; i++) {
      if (ordinal !== undefined && c.ordinal[i] !== ordinal) continue;
      if (step && c.step[i] !== step) continue;
      if (this.needle && !c.text[i]!.toLowerCase().includes(this.needle)) continue;
      hits.push(i);
    }
    return c.size;
  }

  /** How many lines pass, after scanning what arrived since the last call. */
  count(): number {
    if (this.all) return this.store.size;
    this.headScanned = this.scan(this.store.head, this.headScanned, this.headHits);
    this.tailScanned = this.scan(this.store.tail, this.tailScanned, this.tailHits);
    return this.headHits.length + this.tailHits.length;
  }

  /** How many of the lines that pass are head lines (they sit above the tail's). */
  headCount(): number {
    return this.all ? this.store.head.size : this.headHits.length;
  }

  /** The store index of the n-th line that passes. */
  at(n: number): number {
    if (this.all) return n;
    return n < this.headHits.length ? this.headHits[n]! : this.store.head.size + this.tailHits[n - this.headHits.length]!;
  }
}
