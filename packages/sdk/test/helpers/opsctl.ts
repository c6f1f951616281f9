import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

// The bundled CLI (built once by the test setup): the same code as bin/opsctl.mjs
// without a cold TypeScript loader in every process.
export const OPSCTL = resolve(import.meta.dirname, "../../dist/opsctl.mjs");
export const OPSCTL_BIN = resolve(import.meta.dirname, "../../bin/opsctl.mjs");

export type OpsctlRun = { code: number | null; stdout: string; stderr: string };

/**
 * opsctl as a real process, as a shell or a CI job runs it: only PATH and the given
 * environment, stdin a pipe (not a TTY).
 */
export function runOpsctl(
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    stdin?: string;
    entry?: string;
    onStderr?: (soFar: string, child: ChildProcess) => void;
    /** Kill it after this long and say so in stderr, so a test can report what it saw. */
    killAfterMs?: number;
  },
): Promise<OpsctlRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [opts.entry ?? OPSCTL, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? "", ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    const timer = opts.killAfterMs
      ? setTimeout(() => {
          stderr += `\n[killed by the test after ${opts.killAfterMs} ms]`;
          child.kill("SIGKILL");
        }, opts.killAfterMs)
      : null;
    child.on("error", fail);
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}
