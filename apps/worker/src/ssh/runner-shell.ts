import type { Client, ClientChannel } from "ssh2";
import { lineSplitter } from "./lines";

/**
 * A host's runner shell (ADR 0012 "SSH on a run"): one long-lived shell on the host's
 * connection that runs a run's commands one after another, so a step after the first is
 * not a new SSH session (a session is a fork of sshd and an exec of the login shell: on
 * a busy host, more than a short command costs). The idea is Ansible's mitogen's, in
 * POSIX sh, started by the login shell as any exec request is.
 *
 * The protocol, on the shell's stdin: a header line `<end token> <line count> <become
 * 0|1> <group marker or ->`, then the script's lines, then the become password when
 * there is one. Under bash, a command runs as a background job (job control works
 * without a terminal there), so it leads its own process group, which the runner
 * reports on the marker line; its stdin is at end-of-file. Elsewhere, and with become,
 * the command goes wrapped (`processGroupWrapper`, through sudo with become), under
 * `setsid "$SHELL" -c`, or with the password piped to `sudo -S`. When the command's
 * process has exited, the shell writes a newline and `<end token> <exit status>` on
 * stdout and a newline and `<end token>` on stderr: each stream's end, after everything
 * the command wrote to it. The newline ends a last line the command left unterminated;
 * after a terminated one it makes an empty line, which is dropped. The token is random
 * per command, so output cannot forge an end.
 *
 * Without `setsid(1)` on the host (or with a login shell that cannot run POSIX sh), the
 * shell exits before it says it is ready, and commands go through exec channels. Nothing
 * is sent before a command's start is recorded (the gate): an idle runner is a shell
 * waiting on its stdin, which exits at end-of-file.
 */
/** The runner's variables, unset in a command's subshell so that it starts as a fresh shell would. */
const UNSET = "ops_t ops_n ops_b ops_g ops_l ops_p ops_s ops_sh ops_jc ops_rc";

const RUNNER_SHELL = [
  "command -v setsid >/dev/null 2>&1 || exit 124",
  // The runner's own messages (bash reports a command killed by a signal) go nowhere; fd 3 is the channel's stderr.
  "exec 3>&2 2>/dev/null",
  "ops_sh=${SHELL:-/bin/sh}",
  // bash keeps job control without a terminal: a background job leads its own process group.
  "ops_jc=",
  `if [ -n "$BASH_VERSION" ] && set -m; then case $- in *m*) ops_jc=1 ;; esac; fi`,
  `echo "ops-runner-ready \${ops_jc:-0}"`,
  "while IFS=' ' read -r ops_t ops_n ops_b ops_g; do",
  "  ops_s=",
  `  while [ "$ops_n" -gt 0 ] 2>/dev/null && IFS= read -r ops_l; do ops_s="$ops_s$ops_l`,
  `"; ops_n=$((ops_n - 1)); done`,
  `  [ "$ops_n" = 0 ] || exit 125`,
  `  ops_p=`,
  `  if [ "$ops_b" = 1 ]; then IFS= read -r ops_p || exit 125; fi`,
  `  if [ -n "$ops_jc" ] && [ "$ops_b" = 1 ]; then`,
  `    ( set +m; printf '%s\\n' "$ops_p" | { eval "unset ${UNSET}; $ops_s"; } ) 2>&3 3>&- &`,
  `    wait $!`,
  `  elif [ -n "$ops_jc" ]; then`,
  `    ( set +m; eval "unset ${UNSET}; $ops_s" ) </dev/null 2>&3 3>&- &`,
  `    echo "$ops_g $!"`,
  `    wait $!`,
  `  elif [ "$ops_b" = 1 ]; then`,
  `    printf '%s\\n' "$ops_p" | setsid "$ops_sh" -c "$ops_s" "$0" 2>&3 3>&-`,
  `  else setsid "$ops_sh" -c "$ops_s" "$0" </dev/null 2>&3 3>&-; fi`,
  "  ops_rc=$?",
  "  ops_p=",
  `  printf '\\n%s %s\\n' "$ops_t" "$ops_rc"`,
  `  printf '\\n%s\\n' "$ops_t" >&3`,
  "done",
].join("\n");

const READY = "ops-runner-ready";

/** Longer scripts go through an exec channel: the runner reads its stdin a byte at a time. */
export const RUNNER_SCRIPT_MAX = 16 * 1024;

export type RunnerShell = {
  /** True once the shell said it is ready; false if it could not start or has ended. */
  ready: Promise<boolean>;
  /**
   * Sends one command (`token`: random, `[0-9a-z@-]`), its lines to `onLine` (the
   * process group's marker line among them, as the wrapper would write it); resolves
   * with its exit status once both its streams have ended, or null if the shell ended
   * first (the connection was lost, or the runner was closed).
   */
  run(token: string, command: RunnerCommand, onLine: (stream: 1 | 2, text: string) => void): Promise<number | null>;
  /** The shell has ended (or is being closed): not to be used again. */
  ended(): boolean;
  /** End-of-file and close: the shell exits (a command it runs keeps running in its own session). */
  close(): void;
};

/** A command as the runner may send it. */
export type RunnerCommand = {
  /** The command as the user wrote it, with the marker its process group id is reported on. */
  command: string;
  marker: string;
  /** The same under the process-group wrapper (and sudo, with become): what an exec channel would run. */
  wrapped: string;
  become?: string;
};

type Current = {
  token: string;
  onLine: (stream: 1 | 2, text: string) => void;
  /** Per stream: an empty line held back, which is the end's newline if the end follows. */
  held: Record<1 | 2, boolean>;
  code: number | null;
  done: Record<1 | 2, boolean>;
  resolve: (code: number | null) => void;
};

/** Starts a runner shell on `client`; it is ready once `ready` resolves true. */
export function startRunnerShell(client: Client): RunnerShell {
  let channel: ClientChannel | null = null;
  let over = false;
  let current: Current | null = null;
  /** The shell said it is ready (its first line; later, such a line is a command's output). */
  let started = false;
  /** Commands run as bash jobs, each leading its own process group, which the runner reports. */
  let jobs = false;
  let sayReady: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((r) => (sayReady = r));

  const finish = (code: number | null) => {
    const c = current;
    current = null;
    c?.resolve(code);
  };
  const lines = lineSplitter((stream, text) => {
    if (!started && stream === 1 && text.startsWith(READY)) {
      started = true;
      jobs = text === `${READY} 1`;
      return sayReady(true);
    }
    const c = current;
    if (!c) return; // written after its command's end (a background process of it): nobody's
    const end = stream === 1 ? text.startsWith(c.token + " ") : text === c.token;
    if (end) {
      c.held[stream] = false;
      c.done[stream] = true;
      if (stream === 1) c.code = Number(text.slice(c.token.length + 1));
      if (c.done[1] && c.done[2]) finish(Number.isInteger(c.code) ? c.code : null);
      return;
    }
    if (c.held[stream]) c.onLine(stream, "");
    c.held[stream] = text === "";
    if (text !== "") c.onLine(stream, text);
  });
  const gone = () => {
    if (over && !channel) return;
    over = true;
    sayReady(false);
    lines.flush();
    const c = current;
    if (c) for (const s of [1, 2] as const) if (c.held[s]) c.onLine(s, "");
    finish(null);
  };

  try {
    client.exec(RUNNER_SHELL, (err, ch) => {
      if (err) {
        over = true;
        return sayReady(false);
      }
      channel = ch;
      ch.on("data", (d: Buffer) => lines.data(1, d));
      ch.stderr.on("data", (d: Buffer) => lines.data(2, d));
      ch.once("close", gone);
      if (over) ch.close(); // closed before it opened
    });
  } catch {
    over = true; // the connection is gone
    sayReady(false);
  }

  return {
    ready,
    run(token, c, onLine) {
      if (over || !channel || current) return Promise.resolve(null);
      const ch = channel;
      // As a bash job the runner reports the group itself; through sudo the wrapper does (sudo may start a new session).
      const bare = jobs && c.become === undefined;
      const script = bare ? c.command : c.wrapped;
      return new Promise((resolve) => {
        current = { token, onLine, held: { 1: false, 2: false }, code: null, done: { 1: false, 2: false }, resolve };
        const header = `${token} ${script.split("\n").length} ${c.become === undefined ? 0 : 1} ${bare ? c.marker : "-"}\n`;
        ch.write(header + script + "\n" + (c.become === undefined ? "" : c.become + "\n"));
      });
    },
    ended: () => over,
    close() {
      if (over) return;
      over = true;
      sayReady(false);
      if (channel) {
        channel.end();
        channel.close();
      }
    },
  };
}
