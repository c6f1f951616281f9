export type SseEvent = { event: string | null; id: string | null; data: unknown };

export type SseStream = {
  /** Data events received so far (tRPC's connected, ping and restore events left out). */
  events: SseEvent[];
  /** Resolves once tRPC said "connected" (the subscription's resolver has run). */
  ready: Promise<void>;
  /** The first data event matching `match`, waiting for it up to `timeoutMs`. */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
};

/**
 * A raw SSE request to a tRPC subscription, as a browser's EventSource makes it (cookie or
 * Bearer, Last-Event-ID on resume), parsed as it arrives.
 */
export async function openSse(
  app: { url: string },
  path: string,
  opts: { cookie?: string; bearer?: string; input?: unknown; lastEventId?: string } = {},
): Promise<SseStream> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.lastEventId) headers["last-event-id"] = opts.lastEventId;
  const query = opts.input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(opts.input))}`;
  const abort = new AbortController();
  const res = await fetch(`${app.url}/trpc/${path}${query}`, { headers, signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`SSE ${path} answered ${res.status}: ${await res.text()}`);
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  let ended: Error | null = null;

  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event: string | null = null;
          let id: string | null = null;
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("id:")) id = line.slice(3).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (event === "connected") connected();
          else if (event === "serialized-error") ended = new Error(`stream error: ${data.join("\n")}`);
          else if (event === null && data.length) events.push({ event, id, data: JSON.parse(data.join("\n")) });
          for (const w of [...waiters]) w();
        }
      }
      ended ??= new Error("stream ended");
    } catch (e) {
      ended ??= e as Error;
    }
    for (const w of [...waiters]) w();
  })();

  return {
    events,
    ready,
    async waitFor(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find(match);
        if (hit) return hit;
        if (ended) throw ended;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, left);
          function done() {
            clearTimeout(t);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    close: () => abort.abort(),
  };
}
