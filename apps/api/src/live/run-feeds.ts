import {
  automationRunSchemas as s,
  chunkLines,
  getRun,
  readRunOutput,
  runOutputHead,
  type DomainContext,
  type LivePayload,
  type LiveTopic,
} from "@ops/domain";

type OutputLine = s.OutputLine;
type ProgressEvent = s.ProgressEvent;
type RunView = s.RunView;
export type OutputFeedEvent = { lines: OutputLine[] } | { end: RunView["state"] };

/** The safety net under live messages: a feed reads again this often even when told nothing. */
export const FEED_POLL_MS = 2_000;
const READ_LIMIT = 5_000;
/** Lines a run's feed keeps for its subscribers; one further behind reads the database itself. */
const WINDOW_LINES = 20_000;
/** At most this many lines per SSE event. */
export const EVENT_LINES = 1_000;
/** A big run's progress is read at most this often, however many messages arrive. */
const PROGRESS_MIN_MS = 250;

const TERMINAL = new Set<string>(s.TERMINAL_RUN_STATES);

type Waiters = Set<() => void>;
const wakeAll = (w: Waiters) => {
  const all = [...w];
  w.clear();
  for (const f of all) f();
};
/** Resolves on the next wakeAll, after `ms`, or when `signal` aborts. */
function waitOn(w: Waiters, ms: number | null, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      w.delete(done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    if (signal?.aborted) return resolve();
    w.add(done);
    if (ms !== null) timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** What every feed has: its subscribers, and who waits on it and on its reader. */
type Feed = {
  runId: string;
  subscribers: number;
  /** Subscribers wait here for what the reader read. */
  changed: Waiters;
  /** The reader waits here for a live message. */
  wake: Waiters;
  /** A live message arrived since the reader last read. */
  dirty: boolean;
  stop: () => void;
};

/** One run's output on this node: one reader, however many subscribers (ADR 0012, "Live delivery"). */
type OutputFeed = Feed & {
  /** The head was read: messages' lines may join the window. */
  started: boolean;
  /** Every line with seq <= head was read; those >= windowStart are in `window`. */
  head: number;
  windowStart: number;
  window: OutputLine[];
  /** The run's final state once it finished and every line was read. */
  ended: RunView["state"] | null;
  failure: unknown;
  ready: Promise<void>;
};

type ProgressFeed = Feed & {
  snapshot: RunView | null;
  version: number;
  failure: unknown;
};

export type RunFeeds = ReturnType<typeof createRunFeeds>;

/**
 * The live side of runs on one API node. `followOutput` yields a subscriber's lines from
 * the run's shared feed, reading the database itself only to catch up from far behind;
 * `followProgress` yields progress snapshots from a shared reader. Readers wake on live
 * messages (Redis or NOTIFY) and poll every 2 s regardless, so a lost message only delays.
 */
export function createRunFeeds(ctx: DomainContext) {
  const outputs = new Map<string, OutputFeed>();
  const progresses = new Map<string, ProgressFeed>();
  const live = ctx.services.liveEvents;
  let closed = false;
  const closing = new Set<() => void>();

  /**
   * The run's feed in `feeds` with one more subscriber, or a new one (`created`) made of
   * `fields`, woken by the live messages of `topics` and dropped from `feeds` once stopped.
   * `take` may use a message's data itself: when it answers true, the reader is not woken.
   */
  function acquire<F extends Feed>(
    feeds: Map<string, F>,
    runId: string,
    topics: LiveTopic[],
    fields: Omit<F, keyof Feed>,
    take?: (feed: F, topic: LiveTopic, payload: LivePayload<LiveTopic>) => boolean,
  ): { feed: F; created: boolean } {
    const existing = feeds.get(runId);
    if (existing) {
      existing.subscribers++;
      return { feed: existing, created: false };
    }
    const base: Feed = { runId, subscribers: 1, changed: new Set(), wake: new Set(), dirty: false, stop: () => {} };
    const feed = { ...base, ...fields } as F;
    const poke = () => {
      feed.dirty = true;
      wakeAll(feed.wake);
    };
    const offs = topics.map((topic) =>
      live?.on(topic, runId, (payload: LivePayload<LiveTopic>) => {
        if (!take?.(feed, topic, payload)) poke();
      }),
    );
    feed.stop = () => {
      offs.forEach((off) => off?.());
      feeds.delete(runId);
      poke();
    };
    feeds.set(runId, feed);
    return { feed, created: true };
  }

  function acquireOutput(runId: string): OutputFeed {
    const fields = { started: false, head: 0, windowStart: 1, window: [], ended: null, failure: null, ready: Promise.resolve() };
    const { feed, created } = acquire(outputs, runId, ["run.output", "run.progress"], fields, (feed, topic, payload) =>
      topic === "run.output" ? takeLines(feed, payload as LivePayload<"run.output">) : false,
    );
    if (!created) return feed;
    feed.ready = runOutputHead({ ctx, input: { runId } }).then(
      (head) => {
        feed.head = head;
        feed.windowStart = head + 1;
        feed.started = true;
        void readOutput(feed);
      },
      (e: unknown) => {
        feed.failure = e;
      },
    );
    return feed;
  }

  /** Lines after the feed's head join its window (those at or before it were had already, by a read or a message). */
  function append(feed: OutputFeed, lines: OutputLine[]) {
    const fresh = lines[0] && lines[0].seq <= feed.head ? lines.filter((l) => l.seq > feed.head) : lines;
    if (fresh.length === 0) return;
    if (feed.window.length === 0) feed.windowStart = fresh[0]!.seq;
    feed.window.push(...fresh);
    feed.head = fresh.at(-1)!.seq;
    if (feed.window.length > WINDOW_LINES) {
      feed.window = feed.window.slice(-WINDOW_LINES);
      feed.windowStart = feed.window[0]!.seq;
    }
  }

  /**
   * A `run.output` message that carries its lines and follows on from the head: they join
   * the window at once, no read (ADR 0012, "Live delivery"). Anything else (no lines, a gap:
   * another worker's write announced first, a lost message) wakes the reader.
   */
  function takeLines(feed: OutputFeed, m: LivePayload<"run.output">): boolean {
    if (!feed.started) return false;
    if (m.seq <= feed.head) return true;
    if (!m.lines || m.lines.from > feed.head + 1 || feed.ended) return false;
    let seqFrom = m.lines.from;
    for (const [ordinal, stepId, streams, lines] of m.lines.chunks) {
      append(feed, chunkLines({ seqFrom, ordinal, stepId, streams, lines }));
      seqFrom += lines.length;
    }
    wakeAll(feed.changed);
    return true;
  }

  async function readOutput(feed: OutputFeed) {
    while (feed.subscribers > 0 && !closed) {
      feed.dirty = false;
      try {
        const page = await readRunOutput({ ctx, input: { runId: feed.runId, afterSeq: feed.head, limit: READ_LIMIT } });
        append(feed, page.lines);
        if (page.lines.length) feed.head = Math.max(feed.head, page.lastSeq);
        if (page.complete) feed.ended = page.state;
        if (page.lines.length || page.complete) wakeAll(feed.changed);
        if (page.complete) return;
        if (page.lines.length === READ_LIMIT) continue;
      } catch {
        // The database is away: the subscribers keep waiting; the next read tries again.
      }
      if (!feed.dirty) await waitOn(feed.wake, FEED_POLL_MS);
    }
  }

  function release(feed: Feed) {
    if (--feed.subscribers === 0) feed.stop();
  }

  /** First index in the window with seq > after. */
  function windowIndex(feed: OutputFeed, after: number): number {
    let lo = 0;
    let hi = feed.window.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (feed.window[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function onClose(signal: AbortSignal | undefined): AbortSignal {
    const own = new AbortController();
    const abort = () => own.abort();
    signal?.addEventListener("abort", abort, { once: true });
    if (signal?.aborted || closed) own.abort();
    closing.add(abort);
    own.signal.addEventListener("abort", () => closing.delete(abort), { once: true });
    return own.signal;
  }

  return {
    /**
     * Lines of a run after `afterSeq` (one host's with `ordinal`), in batches of at most
     * EVENT_LINES, then its final state once it finished and every line was yielded.
     */
    async *followOutput(
      input: { runId: string; ordinal?: number; afterSeq: number },
      outer?: AbortSignal,
    ): AsyncGenerator<OutputFeedEvent> {
      const signal = onClose(outer);
      const feed = acquireOutput(input.runId);
      try {
        await feed.ready;
        if (feed.failure) throw feed.failure;
        const mine = (l: OutputLine) => input.ordinal === undefined || l.ordinal === input.ordinal;
        let scanned = input.afterSeq;
        while (!signal.aborted) {
          let lines: OutputLine[];
          if (scanned < feed.windowStart - 1) {
            // Behind the shared window: catch up from the database, this subscriber alone.
            const headBefore = feed.head;
            const page = await readRunOutput({
              ctx,
              input: { runId: input.runId, afterSeq: scanned, ordinal: input.ordinal, limit: READ_LIMIT },
            });
            lines = page.lines;
            scanned = page.lines.length === READ_LIMIT ? page.lastSeq : Math.max(page.lastSeq, headBefore);
          } else {
            lines = feed.window.slice(windowIndex(feed, scanned)).filter(mine);
            scanned = Math.max(scanned, feed.head);
          }
          for (let i = 0; i < lines.length; i += EVENT_LINES) yield { lines: lines.slice(i, i + EVENT_LINES) };
          if (feed.ended && scanned >= feed.head) {
            yield { end: feed.ended };
            return;
          }
          if (lines.length === 0 && scanned >= feed.windowStart - 1) await waitOn(feed.changed, null, signal);
        }
      } finally {
        release(feed);
      }
    },

    /** The run's progress now, then after each change (hosts: those that changed), until it finished. */
    async *followProgress(input: { runId: string }, outer?: AbortSignal): AsyncGenerator<ProgressEvent> {
      const signal = onClose(outer);
      const feed = acquireProgress(input.runId);
      try {
        let version = 0;
        let sent = new Map<number, string>();
        let counters = "";
        while (!signal.aborted) {
          if (feed.version === version) await waitOn(feed.changed, null, signal);
          if (feed.failure && !feed.snapshot) throw feed.failure;
          const run = feed.snapshot;
          if (!run || feed.version === version) continue;
          version = feed.version;
          const now = new Map(run.hosts.map((h) => [h.ordinal, JSON.stringify(h)]));
          const hosts = run.hosts.filter((h) => sent.get(h.ordinal) !== now.get(h.ordinal));
          sent = now;
          const c = JSON.stringify([run.state, run.progress, run.hostsFailed]);
          if (hosts.length || c !== counters) {
            counters = c;
            yield { state: run.state, progress: run.progress, hostsFailed: run.hostsFailed, hosts };
          }
          if (TERMINAL.has(run.state)) return;
        }
      } finally {
        release(feed);
      }
    },

    /** Ends every subscription (the node is stopping): their streams close and clients reconnect elsewhere. */
    close() {
      closed = true;
      for (const abort of [...closing]) abort();
      for (const f of [...outputs.values()]) f.stop();
      for (const f of [...progresses.values()]) f.stop();
    },
  };

  function acquireProgress(runId: string): ProgressFeed {
    const { feed, created } = acquire(progresses, runId, ["run.progress"], { snapshot: null, version: 0, failure: null });
    if (created) void readProgress(feed);
    return feed;
  }

  async function readProgress(feed: ProgressFeed) {
    while (feed.subscribers > 0 && !closed) {
      feed.dirty = false;
      const started = Date.now();
      try {
        feed.snapshot = await getRun({ ctx, input: { runId: feed.runId } });
        feed.failure = null;
        feed.version++;
        wakeAll(feed.changed);
        if (TERMINAL.has(feed.snapshot.state)) return;
      } catch (e) {
        // Before a first snapshot, subscribers hear of the failure; after it, they keep the last one.
        feed.failure = e;
        if (!feed.snapshot) {
          feed.version++;
          wakeAll(feed.changed);
          if (e instanceof Error && e.name === "NotFound") return;
        }
      }
      const spare = PROGRESS_MIN_MS - (Date.now() - started);
      if (spare > 0) await new Promise((r) => setTimeout(r, spare));
      if (!feed.dirty) await waitOn(feed.wake, FEED_POLL_MS);
    }
  }
}

const feedsByServices = new WeakMap<object, RunFeeds>();

/** This node's run feeds (one set per services object, so per API node). */
export function runFeedsOf(services: DomainContext["services"]): RunFeeds {
  let feeds = feedsByServices.get(services);
  if (!feeds) {
    feeds = createRunFeeds({ services, principal: null, meta: { ip: null, userAgent: "system (live feeds)", requestId: null } });
    feedsByServices.set(services, feeds);
  }
  return feeds;
}

/** Ends this node's subscriptions, so a stopping server is not held open by SSE streams. */
export function closeRunFeeds(services: DomainContext["services"]): void {
  feedsByServices.get(services)?.close();
  feedsByServices.delete(services);
}
