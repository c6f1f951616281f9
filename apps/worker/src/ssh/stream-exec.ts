import type { Client, ClientChannel } from "ssh2";

export type StreamResult = { exitCode: number | null; signal: string | null; timedOut: boolean; aborted: boolean; droppedBytes: number };

/**
 * Runs a command and hands its output over line by line (stream 1 stdout, 2 stderr) as
 * it arrives. Past `capBytes` lines are counted, not delivered. On timeout or abort the
 * remote process is told to stop (TERM, then the channel is closed, which ends a
 * non-pty session's process group on OpenSSH) and the promise settles at once.
 */
export function streamCommand(
  client: Client,
  command: string,
  opts: {
    onLine: (stream: 1 | 2, text: string) => void;
    timeoutMs: number;
    signal?: AbortSignal;
    capBytes?: number;
    env?: Record<string, string>;
    pty?: boolean;
    stdin?: string;
  },
): Promise<StreamResult> {
  const cap = opts.capBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let dropped = 0;
    let settled = false;
    let channel: ClientChannel | null = null;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    const partial: Record<1 | 2, string> = { 1: "", 2: "" };

    const emit = (stream: 1 | 2, text: string) => {
      const size = Buffer.byteLength(text) + 1;
      if (bytes + size > cap) {
        dropped += size;
        return;
      }
      bytes += size;
      opts.onLine(stream, text);
    };
    const take = (stream: 1 | 2) => (d: Buffer) => {
      const text = partial[stream] + d.toString("utf8");
      const parts = text.split("\n");
      partial[stream] = parts.pop()!;
      for (const line of parts) emit(stream, line.endsWith("\r") ? line.slice(0, -1) : line);
      // A runaway line without a newline is cut into 64 KiB lines rather than held forever.
      while (partial[stream].length > 65_536) {
        emit(stream, partial[stream].slice(0, 65_536));
        partial[stream] = partial[stream].slice(65_536);
      }
    };
    const finish = (how: { timedOut?: boolean; aborted?: boolean }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      for (const s of [1, 2] as const) if (partial[s]) emit(s, partial[s]);
      if (how.timedOut || how.aborted) {
        try {
          channel?.signal("TERM");
        } catch {
          /* the channel may be gone already */
        }
        channel?.close();
      }
      resolve({ exitCode, signal: exitSignal, timedOut: !!how.timedOut, aborted: !!how.aborted, droppedBytes: dropped });
    };
    const onAbort = () => finish({ aborted: true });
    const timer = setTimeout(() => finish({ timedOut: true }), opts.timeoutMs);
    if (opts.signal?.aborted) return finish({ aborted: true });
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    client.exec(command, { env: opts.env, pty: opts.pty ? { term: "dumb", cols: 200, rows: 50 } : undefined }, (err, ch) => {
      if (err) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        return reject(err);
      }
      channel = ch;
      if (settled) return void ch.close();
      ch.on("data", take(1));
      ch.stderr.on("data", take(2));
      ch.on("exit", (code: number | null, sig?: string) => {
        exitCode = code;
        exitSignal = sig ?? null;
      });
      ch.on("close", () => finish({}));
      if (opts.stdin !== undefined) ch.end(opts.stdin);
      else ch.end();
    });
  });
}
