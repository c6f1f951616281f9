import { appendRunOutput, type HostLease, type OutputChunk, type SystemContext } from "@ops/domain";

/** A line waits at most this long for others to share its write, when no write is in flight. */
const FLUSH_SOON_MS = 20;
/** After a failed write (the database away), the lines are tried again this often. */
const RETRY_MS = 250;
const FLUSH_LINES = 1000;
const MASK = "********";

/**
 * One run's output on this worker: lines are masked, buffered per host-step, and written
 * in one transaction per flush (ADR 0012): at 1,000 lines, or FLUSH_SOON_MS after a line
 * came while no write was in flight (a live viewer sees it at once); while writes are in
 * flight, lines gather until the last one ends (batches grow under load instead of
 * writes queueing). It was every 250 ms, which alone put ~125 ms on a live line. `onLost` hears of hosts
 * whose lease was taken over, so their work stops. Past `capBytes` of one host-step's
 * output, its stdout and stderr lines are counted and dropped; `endStep` then writes
 * one engine line saying how much, so nothing is cut silently.
 */
export function createOutputBuffer(opts: {
  ctx: SystemContext;
  runId: string;
  /** A host's lease was taken over: its `dropped` lines were not stored (the new owner redoes its work). */
  onLost: (ordinal: number, dropped: number) => void;
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
  /** Hosts with lines in a flush not yet committed (ordinal -> flushes). */
  const inFlight = new Map<number, number>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

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
    if (pending.size === 0) return flushing;
    const chunks = [...pending.values()];
    pending.clear();
    count = 0;
    const hosts = new Set(chunks.map((c) => c.lease.ordinal));
    for (const h of hosts) inFlight.set(h, (inFlight.get(h) ?? 0) + 1);
    flushing = flushing.then(async () => {
      try {
        const { lost } = await appendRunOutput({ ctx, input: { runId: opts.runId, chunks } });
        for (const ordinal of lost) {
          const dropped = chunks.filter((c) => c.lease.ordinal === ordinal).reduce((n, c) => n + c.lines.length, 0);
          opts.onLost(ordinal, dropped);
        }
      } catch (e) {
        // The database is away: keep the lines, ahead of newer ones, for the next flush.
        for (const c of chunks) {
          const key = `${c.lease.ordinal}\0${c.stepId}`;
          const newer = pending.get(key);
          pending.set(key, newer ? { ...c, streams: [...c.streams, ...newer.streams], lines: [...c.lines, ...newer.lines] } : c);
          count += c.lines.length;
        }
        opts.onError?.(e);
        schedule(RETRY_MS);
      } finally {
        for (const h of hosts) {
          const n = inFlight.get(h)! - 1;
          if (n) inFlight.set(h, n);
          else inFlight.delete(h);
        }
        // Lines that gathered during the writes go in the next one, at once: they have
        // waited a write already (a retry's timer, when set, is kept).
        if (inFlight.size === 0 && pending.size > 0) schedule(0);
      }
    });
    return flushing;
  }

  /**
   * Stores one host's lines before its end is recorded: a host with nothing buffered or
   * in flight does not wait for the other hosts' flushes; a failed write is retried
   * until its lines are stored.
   */
  async function flushHost(ordinal: number): Promise<void> {
    const buffered = () => [...pending.values()].some((c) => c.lease.ordinal === ordinal);
    for (;;) {
      if (!buffered() && !inFlight.has(ordinal)) return;
      await (buffered() ? flush() : flushing);
      // A failed write put the lines back. The host's end releases its lease, after which
      // they could never be stored: wait until they are (or the lease is lost), never report
      // them stored before.
      if (buffered()) await new Promise((r) => setTimeout(r, RETRY_MS));
    }
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
      else if (inFlight.size === 0) schedule(FLUSH_SOON_MS);
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
      closed = true;
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
  return api;
}
export type OutputBuffer = ReturnType<typeof createOutputBuffer>;
