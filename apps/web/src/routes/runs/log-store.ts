import type { OutputLine } from "@ops/domain/schemas/automation-runs";

export type LogFilter = { ordinal?: number; step?: string };
export const STREAM_NAMES = ["stdout", "stderr", "engine"] as const;

/** Lines per page: what one read fetches and what the memory bound counts in. */
export const PAGE = 500;
/** Pages held at most (100,000 lines): a 2M-line run keeps the browser's memory bounded. */
const MAX_PAGES = 200;

/**
 * The lines a filter keeps, addressed by position (0-based, in sequence order), of which
 * only some pages are held: those read lately, around what is on screen. Positions never
 * move (lines only ever arrive at the end), so a page read once stays right, and a line
 * arriving live lands at position `total`. Least recently used pages are dropped past
 * MAX_PAGES; the pane reads them again when they come back into view.
 */
export class LogStore {
  /** Lines known to exist, held or not. */
  total = 0;
  /** The newest sequence number accounted for (kept or not): live lines at or below it are already counted. */
  lastSeq = 0;
  complete = false;
  /** The first read (the run's tail) has answered. */
  ready = false;
  version = 0;
  private pages = new Map<number, (OutputLine | undefined)[]>();
  /** The page touched last (the Map's last key): touching it again moves nothing. */
  private newest = -1;
  private listeners = new Set<() => void>();
  private appendListeners = new Set<(lines: readonly OutputLine[]) => void>();

  constructor(readonly filter: LogFilter = {}) {}

  keeps(l: OutputLine) {
    return (this.filter.ordinal === undefined || l.ordinal === this.filter.ordinal) && (!this.filter.step || l.stepId === this.filter.step);
  }

  /** Lines read at `position` (a page, a jump): they fill holes below `total`; lines past it arrive by `append`, in order. */
  put(position: number, lines: readonly OutputLine[]) {
    lines.forEach((l, i) => position + i < this.total && this.set(position + i, l));
    this.bump();
  }

  /** The run's last lines, read first (where the page opens); live lines follow on from `lastSeq`. */
  putTail(position: number, lines: readonly OutputLine[], lastSeq: number) {
    this.ready = true;
    this.total = Math.max(this.total, position + lines.length);
    this.lastSeq = Math.max(this.lastSeq, lastSeq);
    this.put(position, lines);
  }

  /** Lines after `lastSeq` as they are written (all hosts, or the filtered host): the filter's go to the end. */
  append(lines: readonly OutputLine[]) {
    const added: OutputLine[] = [];
    for (const l of lines) {
      if (l.seq <= this.lastSeq) continue;
      this.lastSeq = l.seq;
      if (!this.keeps(l)) continue;
      this.set(this.total++, l);
      added.push(l);
    }
    if (!added.length) return;
    for (const l of this.appendListeners) l(added);
    this.bump();
  }

  finish() {
    if (this.complete) return;
    this.complete = true;
    this.bump();
  }

  /** The line at `position`, or undefined while its page is not held. */
  line(position: number): OutputLine | undefined {
    return this.pages.get(Math.floor(position / PAGE))?.[position % PAGE];
  }

  /** The first position of page `page` not held yet (its page end when whole). */
  firstHole(page: number): number {
    const held = this.pages.get(page);
    const end = Math.min(this.total, (page + 1) * PAGE);
    for (let p = page * PAGE; p < end; p++) if (!held?.[p % PAGE]) return p;
    return end;
  }

  /** Pages with a line not held between two positions (not elsewhere in the page), nearest `centre` first. */
  missing(from: number, to: number, centre = from): number[] {
    const pages: number[] = [];
    const end = Math.min(to, this.total);
    for (let page = Math.floor(from / PAGE); page * PAGE < end; page++) {
      const held = this.pages.get(page);
      let hole = false;
      for (let p = Math.max(from, page * PAGE); p < Math.min(end, (page + 1) * PAGE) && !hole; p++) hole = !held?.[p % PAGE];
      if (hole) pages.push(page);
      else this.touch(page);
    }
    const c = Math.floor(centre / PAGE);
    return pages.sort((a, b) => Math.abs(a - c) - Math.abs(b - c));
  }

  /** Pages held now (for tests and the memory bound). */
  get heldPages() {
    return this.pages.size;
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  getVersion = () => this.version;
  /** What a count of the lines shows: it changes with new lines, not with pages read into view. */
  getStatus = () => `${this.total} ${this.ready} ${this.complete}`;

  /** Calls `listener` with each batch of new lines the filter keeps, as they arrive live. */
  onAppend = (listener: (lines: readonly OutputLine[]) => void) => {
    this.appendListeners.add(listener);
    return () => void this.appendListeners.delete(listener);
  };

  private set(position: number, l: OutputLine) {
    const page = Math.floor(position / PAGE);
    let held = this.pages.get(page);
    if (!held) {
      held = [];
      this.pages.set(page, held);
      this.newest = page;
      // Map order is insertion order: the first key is the least recently used page.
      while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
    } else this.touch(page, held);
    held[position % PAGE] = l;
  }

  private touch(page: number, held = this.pages.get(page)) {
    if (!held || page === this.newest) return;
    this.newest = page;
    this.pages.delete(page);
    this.pages.set(page, held);
  }

  private bump() {
    this.version++;
    for (const l of this.listeners) l();
  }
}
