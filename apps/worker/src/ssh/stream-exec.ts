import { randomBytes } from "node:crypto";
import type { Client, ClientChannel } from "ssh2";
import { lineSplitter } from "./lines";
import { RUNNER_SCRIPT_MAX, type RunnerCommand, type RunnerShell } from "./runner-shell";

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
 * With `runners` (ADR 0012 "SSH on a run"), the command goes to the connection's runner
 * shell when it is free (`runner-shell.ts`): the same wrapper, output and exit status,
 * without a new SSH session; what the gate releases is then the command itself. Not with
 * a pty, `env` or a script over `RUNNER_SCRIPT_MAX` bytes; without a runner at hand, or
 * one that could not start, as above.
 */
export function streamCommand(client: Client, command: string, opts: StreamOptions): Promise<StreamResult> {
  const marker = `@@ops-pgid-${randomBytes(6).toString("hex")}`;
  const wrapped = processGroupWrapper(command, marker);
  if (opts.gate && opts.pty) {
    // A terminal would echo the go line: the gate is waited for before the channel opens.
    const gate = opts.gate;
    return gate.then((go) => (go ? streamCommand(client, command, { ...opts, gate: undefined }) : NEVER_RAN));
  }
  const run = opts.become === undefined ? wrapped : `sudo -S -p '' -- sh -c ${shellQuote(wrapped)}`;
  const runners = opts.runners;
  const runner = runners && !opts.pty && !opts.env && Buffer.byteLength(run) <= RUNNER_SCRIPT_MAX ? runners.take() : null;
  if (!runner) return overChannel(client, run, marker, opts);
  return runner.ready.then((ok) => {
    if (ok)
      return onRunner(client, runner, { command, marker, wrapped: run, become: opts.become }, opts).finally(() => runners!.give(runner));
    runners!.give(runner);
    return overChannel(client, run, marker, opts);
  });
}

type StreamOptions = {
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
  /** The connection's runner shell, for commands after a host's first. */
  runners?: RunnerSource;
};

/**
 * A connection's runner shell for the commands run on it (ADR 0012 "SSH on a run"),
 * kept by the host's session.
 */
export type RunnerSource = {
  /** The runner, now this command's (free, or started for it), or null: none at hand, use an exec channel. */
  take(): RunnerShell | null;
  /** The command is done with it (it may have ended meanwhile). */
  give(runner: RunnerShell): void;
};

type Stop = { timedOut?: boolean; aborted?: boolean };

/** A command's lines, less the wrapper's marker line (its process group id) and past the cap. */
function commandOutput(marker: string, cap: number, onLine: StreamOptions["onLine"]) {
  let bytes = 0;
  let dropped = 0;
  let markerSeen = false;
  let reportGroup: (pgid: number | null) => void = () => {};
  const group = new Promise<number | null>((r) => (reportGroup = r));
  return {
    /** The process group, once the wrapper reported it (null: none to kill, or the command never started). */
    group,
    noGroup: () => reportGroup(null),
    dropped: () => dropped,
    emit(stream: 1 | 2, text: string) {
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
      onLine(stream, text);
    },
  };
}

/** The command through its own exec channel (a new SSH session). */
function overChannel(client: Client, run: string, marker: string, opts: StreamOptions): Promise<StreamResult> {
  const out = commandOutput(marker, opts.capBytes ?? DEFAULT_CAP, opts.onLine);
  const gate = opts.gate;
  // `read` takes the go line byte by byte, so sudo still reads the password after it.
  const remote = gate ? `${GATE}\n${run}` : run;
  return new Promise((resolve, reject) => {
    let settled = false;
    let stopping = false;
    let channel: ClientChannel | null = null;
    /** The command may run (no gate, or the gate opened and the go line was sent). */
    let released = !gate;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    const lines = lineSplitter(out.emit);

    const settle = (how: Stop) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      lines.flush();
      resolve({ exitCode, signal: exitSignal, timedOut: !!how.timedOut, aborted: !!how.aborted, droppedBytes: out.dropped() });
    };
    // Asked to stop before the channel opened: the command may start anyway, so it is stopped once it does.
    let pendingStop: Stop | null = null;
    const stop = (how: Stop) => {
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
    const stopStarted = async (ch: ClientChannel, how: Stop) => {
      try {
        ch.signal("TERM");
      } catch {
        /* the channel may be gone already */
      }
      const pgid = await Promise.race([out.group, sleep(MARKER_WAIT_MS).then(() => null)]);
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
    if (opts.signal?.aborted) return settle({ aborted: true });
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const execOpts = { env: opts.env, pty: opts.pty ? { term: "dumb" as const, cols: 200, rows: 50 } : undefined };
    client.exec(remote, execOpts, (err, ch) => {
      if (err) {
        if (stopping) return settle(pendingStop ?? { aborted: true });
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        return reject(err);
      }
      if (settled) return void ch.close();
      channel = ch;
      ch.on("data", (d: Buffer) => lines.data(1, d));
      ch.stderr.on("data", (d: Buffer) => lines.data(2, d));
      ch.on("exit", (code: number | null, sig?: string) => {
        exitCode = code;
        exitSignal = sig ?? null;
      });
      ch.on("close", () => {
        out.noGroup();
        if (!stopping) settle({});
      });
      // A gated shell reads the go line; sudo then the password.
      const release = () => {
        released = true;
        const input = (gate ? "\n" : "") + (opts.become !== undefined ? opts.become + "\n" : "");
        if (input) ch.end(input);
        else ch.end();
      };
      if (!gate) {
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
    });
  });
}

/**
 * The command on the connection's runner shell (runner-shell.ts): sent once the gate
 * opens (a stop before then: it never ran, and the runner stays free). On timeout or
 * abort its process group is killed as above (the channel's `signal` request would reach
 * the runner, not the command); the runner is closed if the command's end does not follow.
 */
async function onRunner(client: Client, runner: RunnerShell, command: RunnerCommand, opts: StreamOptions): Promise<StreamResult> {
  const out = commandOutput(command.marker, opts.capBytes ?? DEFAULT_CAP, opts.onLine);
  const result = (exitCode: number | null, how: Stop): StreamResult => ({
    exitCode,
    signal: null,
    timedOut: !!how.timedOut,
    aborted: !!how.aborted,
    droppedBytes: out.dropped(),
  });
  if (!(await released(opts.gate, opts.signal))) return NEVER_RAN;
  // Lines the runner hands over after the step's result (a runner closed after a stop flushes its last) are not the step's.
  let over = false;
  const code = runner.run(`@@ops-end-${randomBytes(6).toString("hex")}`, command, (stream, text) => void (over || out.emit(stream, text)));
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const stopped = new Promise<Stop>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), opts.timeoutMs);
    onAbort = () => resolve({ aborted: true });
    opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const first = await Promise.race([code.then((c) => ({ code: c })), stopped.then((how) => ({ how }))]);
  clearTimeout(timer);
  opts.signal?.removeEventListener("abort", onAbort);
  if ("code" in first) return result(first.code, {});
  const pgid = await Promise.race([out.group, sleep(MARKER_WAIT_MS).then(() => null)]);
  if (pgid) await killGroup(client, pgid, opts.become, opts.graceMs ?? KILL_GRACE_MS).catch(() => {});
  // The command's end follows its group's death; without it the runner is not trusted again.
  const ended = await Promise.race([code, sleep(MARKER_WAIT_MS).then(() => undefined)]);
  over = true;
  if (ended === undefined) runner.close();
  return result(null, first.how);
}

/** Waits for the gate (none: at once): true when the command may be sent; false on a no, or an abort first. */
function released(gate: Promise<boolean> | undefined, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (!gate) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal?.addEventListener("abort", onAbort, { once: true });
    gate
      .then(
        (go) => resolve(go && !signal?.aborted),
        () => resolve(false),
      )
      .finally(() => signal?.removeEventListener("abort", onAbort));
  });
}

const DEFAULT_CAP = 16 * 1024 * 1024;

const NEVER_RAN: StreamResult = { exitCode: null, signal: null, timedOut: false, aborted: true, droppedBytes: 0 };

/** A gated command's first line: wait for the go line; end-of-file (the channel closed) exits. */
const GATE = "read -r ops_go || exit 125";

/**
 * The wrapper every command runs under (ADR 0012 "SSH on a run"), in POSIX sh so the
 * login shell (bash, dash, zsh, ksh) or sudo's sh can read it:
 * - OpenSSH starts every session with setsid(), so the shell it runs already leads its
 *   own process group; `kill -0 -$$` (a signal-0 probe of the group whose id is our pid)
 *   proves it portably, without ps or /proc. In bash the pid is `$BASHPID`, which is `$$`
 *   but in a subshell: the runner shell's job (runner-shell.ts) leads its own group.
 * - Otherwise, where util-linux `setsid` exists, it makes one (no fork: we are not a
 *   group leader, so setsid(1) keeps our pid).
 * - Otherwise "-" is reported and only the channel signal and close are left.
 * The command itself is `eval`ed in the same shell, so it keeps the login shell's
 * syntax (bash stays bash) as it had without the wrapper. `set -m` is not used here:
 * dash turns job control off without a terminal.
 */
export function processGroupWrapper(command: string, marker: string): string {
  const cmd = shellQuote(command);
  return [
    `if kill -0 -\${BASHPID:-$$} 2>/dev/null; then echo "${marker} \${BASHPID:-$$}"`,
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
