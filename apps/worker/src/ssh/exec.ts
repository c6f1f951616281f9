import type { Client } from "ssh2";

export type ExecResult = { code: number | null; signal: string | null; stdout: string; stderr: string };

/** Runs one command on an open connection; `stdin` is written then closed. */
export function execCommand(client: Client, command: string, opts: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = "";
      let stderr = "";
      let code: number | null = null;
      let signal: string | null = null;
      const timer = setTimeout(() => {
        stream.close();
        reject(Object.assign(new Error(`command timed out after ${opts.timeoutMs ?? 10_000} ms`), { code: "ETIMEDOUT" }));
      }, opts.timeoutMs ?? 10_000);
      stream.on("data", (d: Buffer) => {
        if (stdout.length < 64 * 1024) stdout += d.toString("utf8");
      });
      stream.stderr.on("data", (d: Buffer) => {
        if (stderr.length < 16 * 1024) stderr += d.toString("utf8");
      });
      stream.on("exit", (c: number | null, s?: string) => {
        code = c;
        signal = s ?? null;
      });
      stream.on("close", () => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
      if (opts.stdin !== undefined) stream.end(opts.stdin);
      else stream.end();
    });
  });
}
