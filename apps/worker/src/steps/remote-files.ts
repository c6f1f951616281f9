import type { Client } from "ssh2";
import { execCommand } from "../ssh/exec";
import { shellQuote } from "./types";

/** A new private temp file on the target (mktemp under umask 077, so 0600 and ours alone). */
export async function remoteTemp(client: Client): Promise<string> {
  const r = await execCommand(client, `umask 077 && mktemp "\${TMPDIR:-/tmp}/opsconductor.XXXXXXXXXX"`, { timeoutMs: 30_000 });
  const path = r.stdout.trim();
  if (r.code !== 0 || !path.startsWith("/")) {
    throw new Error(`cannot create a temp file on the target: ${r.stderr.trim() || `mktemp exited ${r.code}`}`);
  }
  return path;
}

/** Removes a file on the target; answers the reason when it could not. */
export async function removeRemote(client: Client, path: string): Promise<string | null> {
  try {
    const r = await execCommand(client, `rm -f -- ${shellQuote(path)}`, { timeoutMs: 30_000 });
    return r.code === 0 ? null : r.stderr.trim() || `rm exited ${r.code}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** `export A='1' B='2'; command`: variables travel in the command, so no AcceptEnv is needed on the target. */
export function withEnv(command: string, env: Record<string, string>): string {
  const names = Object.keys(env);
  if (names.length === 0) return command;
  return `export ${names.map((n) => `${n}=${shellQuote(env[n]!)}`).join(" ")}; ${command}`;
}

export function inDirectory(command: string, dir: string | undefined): string {
  return dir ? `cd ${shellQuote(dir)} && ${command}` : command;
}
