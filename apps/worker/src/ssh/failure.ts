import type { ConnectionTestStep } from "@ops/db";
import type { SeenHostKey } from "./host-key";

export type StepName = ConnectionTestStep["step"];

/**
 * What went wrong, in operator words. `reason` is the short cause shown in lists
 * ("refused", "host key changed"); `message` says more ("host key changed: expected X, got Y").
 */
export class SshFailure extends Error {
  override name = "SshFailure";
  constructor(
    readonly step: StepName,
    readonly reason: string,
    message: string,
    /** Worth another attempt: the connection dropped before the server said anything. */
    readonly transient = false,
    /** On "host key changed": the key that answered, to show next to the pinned one. */
    readonly hostKey?: SeenHostKey,
  ) {
    super(message);
  }
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "refused",
  ETIMEDOUT: "timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EAI_NONAME: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection lost",
  EPIPE: "connection lost",
};

/** Maps an error from net or ssh2 at `step` to an SshFailure. */
export function failureOf(step: StepName, e: unknown, where: string): SshFailure {
  if (e instanceof SshFailure) return e;
  const err = e as NodeJS.ErrnoException & { level?: string };
  const code = err?.code ?? "";
  const reason = NETWORK_REASONS[code];
  if (reason) return new SshFailure(step, reason, `${reason} (${where})`, reason === "connection lost");
  if (err?.level === "client-timeout") return new SshFailure(step, "timed out", `timed out (${where}, no SSH answer in time)`);
  if (err?.level === "client-authentication")
    return new SshFailure("auth", "authentication failed", "authentication failed: the server did not accept the credential");
  const message = err instanceof Error ? err.message : String(e);
  // sshd's MaxStartups closes excess unauthenticated connections before its banner.
  if (/Connection lost before handshake/i.test(message))
    return new SshFailure(step, "connection lost", `connection lost before the SSH handshake (${where})`, true);
  if (/no matching|handshake failed/i.test(message))
    return new SshFailure("handshake", "handshake failed", `SSH handshake failed: ${message}`);
  return new SshFailure(step, "error", `${message} (${where})`);
}
