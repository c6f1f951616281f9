import { appendRunOutput, type HostLease, type OutputChunk, type SystemContext } from "@ops/domain";

const FLUSH_MS = 250;
const FLUSH_LINES = 1000;
const MASK = "********";

/**
 * One run's output on this worker: lines are masked, buffered per host-step, and written
 * every 250 ms (or at 1,000 lines) in one transaction (ADR 0012). `onLost` hears of hosts
 * whose lease was taken over, so their work stops.
 */
export function createOutputBuffer(opts: {
  ctx: SystemContext;
  runId: string;
  onLost: (ordinal: number) => void;
  onError?: (e: unknown) => void;
}) {
  const { ctx } = opts;
  const pending = new Map<string, OutputChunk>();
  const secrets = new Map<number, string[]>();
  let count = 0;
  let flushing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush(), FLUSH_MS);

  function mask(ordinal: number, text: string): string {
    let out = text;
    for (const s of secrets.get(ordinal) ?? []) if (s && out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }

  function flush(): Promise<void> {
    if (pending.size === 0) return flushing;
    const chunks = [...pending.values()];
    pending.clear();
    count = 0;
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
        opts.onError?.(e);
      }
    });
    return flushing;
  }

  return {
    /** Values never to store: each line of each secret, for this host. */
    addSecrets(ordinal: number, values: (string | null | undefined)[]) {
      const lines = values.flatMap((v) => (v ? v.split("\n").filter((l) => l.length >= 3) : []));
      // Longest first, so a secret that contains another is masked whole.
      secrets.set(
        ordinal,
        [...(secrets.get(ordinal) ?? []), ...lines].sort((a, b) => b.length - a.length),
      );
    },
    push(lease: HostLease, stepId: string, stream: 1 | 2 | 3, text: string) {
      const key = `${lease.ordinal}\0${stepId}`;
      let chunk = pending.get(key);
      if (!chunk) pending.set(key, (chunk = { lease, stepId, streams: [], lines: [] }));
      chunk.streams.push(stream);
      chunk.lines.push(mask(lease.ordinal, text));
      if (++count >= FLUSH_LINES) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
export type OutputBuffer = ReturnType<typeof createOutputBuffer>;
