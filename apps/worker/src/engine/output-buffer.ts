import { appendRunOutput, type HostLease, type OutputChunk, type SystemContext } from "@ops/domain";

/** A quiet stream's line waits at most this long for others to share its write. */
const FLUSH_SOON_MS = 20;
/** After a failed write (the database away), the lines are tried again this often. */
const RETRY_MS = 250;
const FLUSH_LINES = 1000;
/** The most lines one write carries. */
const WRITE_LINES = 5000;
const MASK = "********";

/**
 * One run's output on this worker: lines are masked, buffered per host-step, and written
 * in one transaction per flush (ADR 0012). Adaptive: a line is written within
 * FLUSH_SOON_MS when nothing is being written, so a live viewer sees it at once; while a
 * write is in flight, lines gather for one next write that starts when it ends, so
 * under load batches grow (1,000 lines start a write at once) instead of writes
 * queueing up. `onLost` hears of hosts
 * whose lease was taken over, so their work stops. Past `capBytes` of one host-step's
 * output, its stdout and stderr lines are counted and dropped; `endStep` then writes
 * one engine line saying how much, so nothing is cut silently.
 */
export function createOutputBuffer(opts: {
  ctx: SystemContext;
  runId: string;
  onLost: (ordinal: number) => void;
  onError?: (e: unknown) => void;
  capBytes?: number;
}) {
  const { ctx } = opts;
  const cap = opts.capBytes ?? 16 * 1024 * 1024;
  const pending = new Map<string, OutputChunk>();
  /** Per host-step (across its attempts on this worker): bytes kept, bytes dropped and not yet reported. */
  const sizes = new Map<string, { kept: number; dropped: number }>();
  const secrets = new Map<number, string[]>();
  let count = 0;
  let flushing: Promise<void> = Promise.resolve();
  /** A write is in flight (`flushing` has not settled). */
  let writing = false;
  /** The one write queued behind the one in flight; it takes what is pending when it starts. */
  let next: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  /** Writes that failed so far: a wait for lines to be stored ends at a failure. */
  let failures = 0;
  /** Hosts with lines in a flush not yet committed (ordinal -> flushes). */
  const inFlight = new Map<number, number>();

  function schedule(ms: number) {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, ms);
  }

  function mask(ordinal: number, text: string): string {
    let out = text;
    for (const s of secrets.get(ordinal) ?? []) if (s && out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (pending.size === 0) return next ?? flushing;
    if (writing) {
      // Lines that come while this one is queued ride with it.
      next ??= flushing.then(() => {
        next = null;
        return flush();
      });
      return next;
    }
    // At most WRITE_LINES per write, whole host-steps' lines in order; the rest waits for
    // the next write, right behind this one (a write of 100,000 lines is slower per line).
    const chunks: OutputChunk[] = [];
    let taken = 0;
    for (const [key, c] of pending) {
      const room = WRITE_LINES - taken;
      if (room <= 0) break;
      if (c.lines.length <= room) {
        chunks.push(c);
        pending.delete(key);
        taken += c.lines.length;
      } else {
        chunks.push({ ...c, streams: c.streams.splice(0, room), lines: c.lines.splice(0, room) });
        taken += room;
      }
    }
    count -= taken;
    if (pending.size) schedule(0);
    const hosts = new Set(chunks.map((c) => c.lease.ordinal));
    for (const h of hosts) inFlight.set(h, (inFlight.get(h) ?? 0) + 1);
    writing = true;
    flushing = flushing.then(async () => {
      try {
        const { lost } = await appendRunOutput({ ctx, input: { runId: opts.runId, chunks } });
        lost.forEach(opts.onLost);
      } catch (e) {
        // The database is away: keep the lines, ahead of newer ones, for the next flush.
        for (const c of chunks) {
          const key = `${c.lease.ordinal}\0${c.stepId}`;
          const newer = pending.get(key);
          pending.set(key, newer ? { ...c, streams: [...c.streams, ...newer.streams], lines: [...c.lines, ...newer.lines] } : c);
          count += c.lines.length;
        }
        failures++;
        opts.onError?.(e);
        schedule(RETRY_MS);
      } finally {
        writing = false;
        for (const h of hosts) {
          const n = inFlight.get(h)! - 1;
          if (n) inFlight.set(h, n);
          else inFlight.delete(h);
        }
      }
    });
    return flushing;
  }

  /**
   * Stores one host's lines before its end is recorded: a host with nothing buffered or
   * in flight does not wait for the other hosts' flushes.
   */
  async function flushHost(ordinal: number): Promise<void> {
    // Write after write (each takes at most WRITE_LINES, of any host) until none of this
    // host's lines is left; a failed write (the database away) ends the wait, as it
    // always has: the lines stay for the next write.
    while ([...pending.values()].some((c) => c.lease.ordinal === ordinal)) {
      const before = failures;
      await flush();
      if (failures > before) return;
    }
    if (inFlight.has(ordinal)) await flushing;
  }

  /** Everything pending, write after write, until done or a write fails. */
  async function drain(): Promise<void> {
    while (pending.size > 0) {
      const before = failures;
      await flush();
      if (failures > before) return;
    }
    await flushing;
  }

  const api = {
    /** Values never to store: each line of each secret, for this host. */
    addSecrets(ordinal: number, values: (string | null | undefined)[]) {
      const lines = values.flatMap((v) => (v ? v.split("\n").filter((l) => l.length >= 3) : []));
      // Longest first, so a secret that contains another is masked whole.
      secrets.set(
        ordinal,
        [...(secrets.get(ordinal) ?? []), ...lines].sort((a, b) => b.length - a.length),
      );
    },
    /** Buffers a line; false when the host-step is past its cap and the line was dropped. Engine lines are always kept. */
    push(lease: HostLease, stepId: string, stream: 1 | 2 | 3, text: string): boolean {
      const key = `${lease.ordinal}\0${stepId}`;
      const size = sizes.get(key) ?? sizes.set(key, { kept: 0, dropped: 0 }).get(key)!;
      const bytes = Buffer.byteLength(text) + 1;
      if (stream !== 3 && size.kept + bytes > cap) {
        size.dropped += bytes;
        return false;
      }
      size.kept += bytes;
      let chunk = pending.get(key);
      if (!chunk) pending.set(key, (chunk = { lease, stepId, streams: [], lines: [] }));
      chunk.streams.push(stream);
      chunk.lines.push(mask(lease.ordinal, text));
      if (++count >= FLUSH_LINES) void flush();
      else schedule(FLUSH_SOON_MS);
      return true;
    },
    /**
     * A host-step attempt ended: if lines were dropped at the cap, one engine line says how
     * many bytes. Answers the bytes dropped since the last call (0: nothing was cut).
     */
    endStep(lease: HostLease, stepId: string): number {
      const size = sizes.get(`${lease.ordinal}\0${stepId}`);
      const dropped = size?.dropped ?? 0;
      if (!size || dropped === 0) return 0;
      size.dropped = 0;
      api.push(lease, stepId, 3, `[output cap reached: ${dropped} bytes of output past the ${cap}-byte limit of this step were not kept]`);
      return dropped;
    },
    flush,
    flushHost,
    async close() {
      await drain();
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
  return api;
}
export type OutputBuffer = ReturnType<typeof createOutputBuffer>;
