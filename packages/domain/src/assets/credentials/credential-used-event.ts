import { inArray } from "drizzle-orm";
import { credentials, type Executor } from "@ops/db";
import { emitEvent } from "../../communication/emit-event";

/**
 * assets.credential_used, once per credential for one use (a run, a connection test), in
 * the caller's transaction. Ids may repeat (many hosts share a key); a credential deleted
 * meanwhile is simply not reported.
 */
export async function emitCredentialsUsed(
  tx: Executor,
  input: {
    credentialIds: (string | null | undefined)[];
    usedBy: { kind: "run" | "connection_test"; id: string; label: string };
    actor: string;
  },
): Promise<void> {
  const ids = [...new Set(input.credentialIds.filter((id): id is string => !!id))];
  if (ids.length === 0) return;
  const rows = await tx
    .select({ id: credentials.id, name: credentials.name, kind: credentials.kind })
    .from(credentials)
    .where(inArray(credentials.id, ids))
    .orderBy(credentials.name);
  for (const c of rows) {
    await emitEvent(tx, {
      type: "assets.credential_used",
      objectType: "credential",
      objectId: c.id,
      payload: { credentialName: c.name, credentialKind: c.kind, usedBy: input.usedBy, actor: input.actor },
    });
  }
}
