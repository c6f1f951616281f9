import { targets } from "@ops/db";
import { sql } from "drizzle-orm";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { CreateTargetInput, CreateTargetResult } from "../../schemas/assets-targets";
import { knownHostKey, pinColumnsOf, rememberHostKey } from "../host-keys/known-hosts";
import {
  assertCredential,
  assertGroups,
  assertJumpHost,
  assertMayPinHostKey,
  assertMayUseCredential,
  assertNameFree,
  duplicateName,
  isUniqueViolation,
  mayReadCredentials,
  replaceTargetGroups,
  sameEndpointWarnings,
} from "./target-rules";
import { loadTargetSummary } from "./target-view";

/**
 * A credential set here is sent to the new address: it needs credentials.use. A target
 * at an address and port whose key is already trusted starts pinned to that key
 * (known-hosts.ts), so deleting and recreating a target never resets its host-key trust.
 */
export async function createTarget({ ctx, input }: VerbArgs<CreateTargetInput>): Promise<CreateTargetResult> {
  if (input.expectedHostKeyFingerprint) assertMayPinHostKey(ctx);
  if (input.credentialId || input.becomeCredentialId) assertMayUseCredential(ctx);
  return ctx.services.db
    .transaction(async (tx) => {
      await assertNameFree(tx, input.name);
      const login = input.credentialId ? await assertCredential(tx, input.credentialId, "login") : null;
      const become = input.becomeCredentialId ? await assertCredential(tx, input.becomeCredentialId, "become") : null;
      if (input.jumpHostId) await assertJumpHost(tx, null, input.jumpHostId);
      const groupNames = await assertGroups(tx, input.groupIds);
      const warnings = await sameEndpointWarnings(tx, input.address, input.port);
      const known = input.expectedHostKeyFingerprint ? null : await knownHostKey(tx, input.address, input.port);
      const [row] = await tx
        .insert(targets)
        .values({
          name: input.name,
          address: input.address,
          port: input.port,
          osFamily: input.osFamily,
          description: input.description,
          labels: input.labels,
          credentialId: input.credentialId,
          becomeCredentialId: input.becomeCredentialId,
          jumpHostId: input.jumpHostId,
          ...(input.expectedHostKeyFingerprint
            ? { hostKeyFingerprint: input.expectedHostKeyFingerprint, hostKeyPinnedAt: sql`now()` }
            : known
              ? pinColumnsOf(known)
              : {}),
        })
        .returning({ id: targets.id });
      await replaceTargetGroups(tx, row!.id, input.groupIds);
      if (input.expectedHostKeyFingerprint) await rememberHostKey(tx, input, { type: null, fingerprint: input.expectedHostKeyFingerprint });
      // Audit keys avoid "credential"/"key": appendAudit redacts values under such keys.
      await appendAudit(tx, ctx, {
        action: "assets.targets.create",
        objectType: "target",
        objectId: row!.id,
        changes: {
          name: input.name,
          address: input.address,
          port: input.port,
          osFamily: input.osFamily,
          labels: input.labels,
          groups: groupNames,
          login,
          become,
          jumpHostId: input.jumpHostId,
          expectedFingerprint: input.expectedHostKeyFingerprint ?? null,
          ...(known ? { knownFingerprint: known.fingerprint } : {}),
          ...(warnings.length ? { warnings } : {}),
        },
      });
      return { ...(await loadTargetSummary(tx, row!.id, mayReadCredentials(ctx))), warnings };
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateName(input.name));
      throw e;
    });
}
