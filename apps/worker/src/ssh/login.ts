import type { Database } from "@ops/db";
import { openCredentialForUse, type MasterKeys } from "@ops/domain";
import type { SshLogin } from "./connect";
import { SshFailure } from "./failure";
import { parsePrivateKey } from "./key-cache";

export type LoginUse = { purpose: string; targetId: string; actor: { userId: string; label: string } | null; requestId: string };

/** The sign-in a target's credential gives, opened (and audited) at the moment of use. */
export async function openLogin(db: Database, masterKeys: MasterKeys, credentialId: string | null, use: LoginUse): Promise<SshLogin> {
  if (!credentialId) throw new SshFailure("auth", "no credential", "authentication failed: no login credential is set on this target");
  const c = await openCredentialForUse(db, masterKeys, credentialId, use);
  if (c.kind === "ssh_key")
    return { username: c.username, method: "key", key: await parsePrivateKey(credentialId, c.secret, c.passphrase) };
  if (c.kind === "ssh_password") return { username: c.username, method: "password", password: c.secret };
  throw new SshFailure(
    "auth",
    "wrong credential kind",
    `authentication failed: a ${c.kind.replace("_", " ")} credential cannot sign in over SSH`,
  );
}
