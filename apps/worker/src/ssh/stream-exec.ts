import { randomBytes } from "node:crypto";
import type { Client, ClientChannel } from "ssh2";

export type StreamResult = { exitCode: number | null; signal: string | null; timedOut: boolean; aborted: boolean; droppedBytes: number };

/** How long the remote process group has, after TERM, before it gets KILL. */
const KILL_GRACE_MS = 5000;
/** How long an abort waits for the wrapper's marker line when it has not arrived yet. */
const MARKER_WAIT_MS = 2000;

/**
 * Runs a command and hands its output over line by line (stream 1 stdout, 2 stderr) as
 * it arrives. Past `capBytes` lines are counted, not delivered.
 *
 * The command runs under a small POSIX sh wrapper (`processGroupWrapper`) that makes it
 * the leader of its own process group and reports the group id on a marker line, which
 * is not delivered. On timeout or abort (ADR 0012 "SSH on a run"): the channel gets the
 * `signal` request (TERM), then over a second channel of the same connection the whole
 * group gets TERM and, if anything of it is left after a grace period, KILL (through
 * sudo when the command ran through sudo). The promise settles once that is done.
 *
 * With `gate` (ADR 0012 "SSH on a run"), the channel is opened and the remote shell
 * started while the caller records the step's start: the shell first reads one line of
 * stdin, and the command runs only once the gate resolves true and that line is sent.
 * False (the lease is gone), an abort or a timeout before then closes the channel: the
 * shell reads end-of-file and exits, and the command never ran (`aborted`, or
 * `timedOut`). A worker lost meanwhile closes the connection, with the same end. Not
 * with a pty: a terminal would echo the line.
 *
 * With `shells` (ADR 0012 "SSH on a run"), a shell started ahead of the command, while
 * the one before it ran, is used instead of opening a channel: it waits for the command
 * on stdin, so the command, not a go line, is what the gate releases. Not with a pty,
 * `env` or a command over `WARM_SCRIPT_MAX` bytes; without a shell at hand, as above.
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
    /** Run through sudo with this password (sent on stdin, never on the command line). */
    become?: string;
    graceMs?: number;
    /** Resolves true when the command may run (its step's start is recorded); false: it must not. */
    gate?: Promise<boolean>;
    /** Shells started ahead of their commands, on this connection. */
    shells?: ShellSource;
  },
): Promise<StreamResult> {
  const cap = opts.capBytes ?? 16 * 1024 * 1024;
  const marker = `@@ops-pgid-${randomBytes(6).toString("hex")}`;
  const wrapped = processGroupWrapper(command, marker);
  if (opts.gate && opts.pty) {
    // A terminal would echo the go line: the gate is waited for before the channel opens.
    const gate = opts.gate;
    return gate.then((go) => (go ? streamCommand(client, command, { ...opts, gate: undefined }) : NEVER_RAN));
  }
  const run = opts.become === undefined ? wrapped : `sudo -S -p '' -- sh -c ${shellQuote(wrapped)}`;
  const gate = opts.gate;
  // `read` takes the go line byte by byte, so sudo still reads the password after it.
  const remote = gate ? `${GATE}\n${run}` : run;
  const warm = opts.shells && !opts.pty && !opts.env && Buffer.byteLength(run) <= WARM_SCRIPT_MAX ? opts.shells.take() : null;
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let dropped = 0;
    let settled = false;
    let stopping = false;
    let channel: ClientChannel | null = null;
    /** The command may run (no gate, or the gate opened and the go line was sent). */
    let released = !gate;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    const partial: Record<1 | 2, string> = { 1: "", 2: "" };
    // The process group, once the wrapper reported it (null: none to kill, or the command never started).
    let reportGroup: (pgid: number | null) => void = () => {};
    const group = new Promise<number | null>((r) => (reportGroup = r));
    let markerSeen = false;
    /** Said to `shells` when the channel has ended. */
    let ended = () => {};

    const emit = (stream: 1 | 2, text: string) => {
      if (stream === 1 && !markerSeen && text.startsWith(marker + " ")) {
        markerSeen = true;
        const id = Number(text.slice(marker.length + 1));
        return reportGroup(Number.isInteger(id) && id > 1 ? id : null);
      }
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
    const settle = (how: { timedOut?: boolean; aborted?: boolean }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ended();
      opts.signal?.removeEventListener("abort", onAbort);
      for (const s of [1, 2] as const) if (partial[s]) emit(s, partial[s]);
      resolve({ exitCode, signal: exitSignal, timedOut: !!how.timedOut, aborted: !!how.aborted, droppedBytes: dropped });
    };
    // Asked to stop before the channel opened: the command may start anyway, so it is stopped once it does.
    let pendingStop: { timedOut?: boolean; aborted?: boolean } | null = null;
    const stop = (how: { timedOut?: boolean; aborted?: boolean }) => {
      if (settled || stopping) return;
      stopping = true;
      clearTimeout(timer);
      if (channel && !released) {
        // Still at the gate: the command never ran; end-of-file makes the shell exit.
        channel.close();
        settle(how);
      } else if (channel) void stopStarted(channel, how);
      else pendingStop = how;
    };
    const stopStarted = async (ch: ClientChannel, how: { timedOut?: boolean; aborted?: boolean }) => {
      try {
        ch.signal("TERM");
      } catch {
        /* the channel may be gone already */
      }
      const pgid = await Promise.race([group, sleep(MARKER_WAIT_MS).then(() => null)]);
      // The leader may have exited on TERM while its children live on: the group is killed whatever happened.
      if (pgid) await killGroup(client, pgid, opts.become, opts.graceMs ?? KILL_GRACE_MS).catch(() => {});
      ch.close();
      settle(how);
    };
    const onAbort = () => stop({ aborted: true });
    // The step's time counts from when its command may run.
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer = setTimeout(() => stop({ timedOut: true }), opts.timeoutMs));
    if (!gate) arm();
    if (opts.signal?.aborted) {
      void warm?.then((ch) => ch?.close());
      return settle({ aborted: true });
    }
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const execOpts = { env: opts.env, pty: opts.pty ? { term: "dumb" as const, cols: 200, rows: 50 } : undefined };
    const opened = (err: Error | undefined, ch: ClientChannel, warmed: boolean) => {
      if (err) {
        if (stopping) return settle(pendingStop ?? { aborted: true });
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        return reject(err);
      }
      if (settled) return void ch.close();
      channel = ch;
      if (opts.shells) ended = opts.shells.opened();
      ch.on("data", take(1));
      ch.stderr.on("data", take(2));
      ch.on("exit", (code: number | null, sig?: string) => {
        exitCode = code;
        exitSignal = sig ?? null;
      });
      ch.on("close", () => {
        reportGroup(null);
        if (!stopping) settle({});
      });
      // A warm shell reads the command itself; a gated one the go line; sudo then the password.
      const release = () => {
        released = true;
        const input = (warmed ? warmInput(run) : gate ? "\n" : "") + (opts.become !== undefined ? opts.become + "\n" : "");
        if (input) ch.end(input);
        else ch.end();
      };
      if (!gate) {
        if (pendingStop && warmed) {
          // Stopped before the warm shell was at hand: its command was never sent, so never ran.
          ch.close();
          return settle(pendingStop);
        }
        release();
        if (pendingStop) void stopStarted(ch, pendingStop);
        return;
      }
      if (pendingStop) {
        // Stopped before the channel opened, and the command never ran.
        ch.close();
        return settle(pendingStop);
      }
      gate.then(
        (go) => {
          if (settled || stopping) return;
          if (!go) return stop({ aborted: true });
          arm();
          release();
        },
        () => stop({ aborted: true }),
      );
    };
    const exec = () => client.exec(remote, execOpts, (err, ch) => opened(err, ch, false));
    if (!warm) return void exec();
    // A shell that could not be started, or has ended since, is not used: the command opens its own.
    void warm.then((ch) => (ch ? opened(undefined, ch, true) : settled ? undefined : exec()));
  });
}

/**
 * Shells started ahead of the commands that will use them, one connection's (ADR 0012
 * "SSH on a run"): the channel open and the session's start leave a host's next command's
 * path (their CPU is still spent, while the command before it runs).
 */
export type ShellSource = {
  /** A shell started ahead (it answers null if it could not be started or has ended), or null: none at hand. */
  take(): Promise<ClientChannel | null> | null;
  /** A command has its channel; the answer is called once it has ended. */
  opened(): () => void;
};

/** Longer commands go in the exec request: the warm shell reads its input a byte at a time. */
export const WARM_SCRIPT_MAX = 16 * 1024;

/**
 * What a warm shell runs: it reads a line count, then that many lines, and evaluates
 * them as the command's script, in the login shell as an exec request's command would
 * be. End-of-file first (the channel closed: not needed, lease lost, worker gone) exits
 * without running anything.
 */
const WARM_SHELL = [
  "IFS= read -r ops_n || exit 125",
  "ops_s=",
  `while [ "$ops_n" -gt 0 ] 2>/dev/null && IFS= read -r ops_l; do ops_s="$ops_s$ops_l`,
  `"; ops_n=$((ops_n - 1)); done`,
  `[ "$ops_n" = 0 ] || exit 125`,
  "unset ops_n ops_l",
  `eval "$ops_s"`,
].join("\n");

function warmInput(script: string): string {
  return `${script.split("\n").length}\n${script}\n`;
}

export type WarmShell = {
  /** The shell's channel, or null if it could not be started or has ended since. */
  take(): Promise<ClientChannel | null>;
  /** Not needed after all: end-of-file, and the shell exits. */
  close(): void;
};

/** Starts a warm shell on `client`, to be taken by `streamCommand` through a `ShellSource`. */
export function startWarmShell(client: Client): WarmShell {
  let channel: ClientChannel | null = null;
  let closed = false;
  const ready = new Promise<void>((resolve) => {
    try {
      client.exec(WARM_SHELL, (err, ch) => {
        if (!err) {
          channel = ch;
          // Unread, a channel says "close" only once read to its end; "exit" comes as it happens.
          ch.once("exit", () => (closed = true));
          ch.once("close", () => (closed = true));
        }
        resolve();
      });
    } catch {
      resolve(); // the connection is gone
    }
  });
  return {
    take: () => ready.then(() => (channel && !closed ? channel : null)),
    close() {
      closed = true;
      void ready.then(() => channel?.close());
    },
  };
}

const NEVER_RAN: StreamResult = { exitCode: null, signal: null, timedOut: false, aborted: true, droppedBytes: 0 };

/** A gated command's first line: wait for the go line; end-of-file (the channel closed) exits. */
const GATE = "read -r ops_go || exit 125";

/**
 * The wrapper every command runs under (ADR 0012 "SSH on a run"), in POSIX sh so the
 * login shell (bash, dash, zsh, ksh) or sudo's sh can read it:
 * - OpenSSH starts every session with setsid(), so the shell it runs already leads its
 *   own process group; `kill -0 -$$` (a signal-0 probe of the group whose id is our pid)
 *   proves it portably, without ps or /proc.
 * - Otherwise, where util-linux `setsid` exists, it makes one (no fork: we are not a
 *   group leader, so setsid(1) keeps our pid).
 * - Otherwise "-" is reported and only the channel signal and close are left.
 * The command itself is `eval`ed in the same shell, so it keeps the login shell's
 * syntax (bash stays bash) as it had without the wrapper. `set -m` was not used:
 * dash turns job control off without a terminal.
 */
export function processGroupWrapper(command: string, marker: string): string {
  const cmd = shellQuote(command);
  return [
    `if kill -0 -$$ 2>/dev/null; then echo "${marker} $$"`,
    `elif command -v setsid >/dev/null 2>&1; then exec setsid sh -c 'echo "${marker} $$"; eval "$1"' ops-run ${cmd}`,
    `else echo "${marker} -"; fi`,
    `eval ${cmd}`,
  ].join("\n");
}

/**
 * TERM to the whole group, then KILL if any of it is still there after `graceMs`, over a
 * second channel of the same connection. `kill -SIG -PGID` without `--`: dash's kill
 * does not take `--`. Fractional sleep where supported, whole seconds elsewhere.
 */
function killGroup(client: Client, pgid: number, become: string | undefined, graceMs: number): Promise<void> {
  const ticks = Math.max(1, Math.ceil(graceMs / 200));
  const script = [
    `kill -TERM -${pgid} 2>/dev/null || exit 0`,
    `i=0`,
    `while kill -0 -${pgid} 2>/dev/null; do`,
    `  if [ "$i" -ge ${ticks} ]; then kill -KILL -${pgid} 2>/dev/null; exit 0; fi`,
    `  sleep 0.2 2>/dev/null || { sleep 1; i=$((i+4)); }`,
    `  i=$((i+1))`,
    `done`,
  ].join("\n");
  const remote = become === undefined ? script : `sudo -S -p '' -- sh -c ${shellQuote(script)}`;
  return new Promise((resolve, reject) => {
    client.exec(remote, (err, ch) => {
      if (err) return reject(err);
      const giveUp = setTimeout(() => ch.close(), graceMs + 10_000);
      ch.on("data", () => {});
      ch.stderr.on("data", () => {});
      ch.on("close", () => (clearTimeout(giveUp), resolve()));
      if (become !== undefined) ch.end(become + "\n");
      else ch.end();
    });
  });
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
