import { targets } from "@ops/db";
import { sql } from "drizzle-orm";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { CreateTargetInput, TargetSummary } from "../../schemas/assets-targets";
import {
  assertCredential,
  assertGroups,
  assertJumpHost,
  assertMayPinHostKey,
  assertNameFree,
  duplicateName,
  isUniqueViolation,
  replaceTargetGroups,
} from "./target-rules";
import { loadTargetSummary } from "./target-view";

export async function createTarget({ ctx, input }: VerbArgs<CreateTargetInput>): Promise<TargetSummary> {
  if (input.expectedHostKeyFingerprint) assertMayPinHostKey(ctx);
  return ctx.services.db
    .transaction(async (tx) => {
      await assertNameFree(tx, input.name);
      const login = input.credentialId ? await assertCredential(tx, input.credentialId, "login") : null;
      const become = input.becomeCredentialId ? await assertCredential(tx, input.becomeCredentialId, "become") : null;
      if (input.jumpHostId) await assertJumpHost(tx, null, input.jumpHostId);
      const groupNames = await assertGroups(tx, input.groupIds);
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
            : {}),
        })
        .returning({ id: targets.id });
      await replaceTargetGroups(tx, row!.id, input.groupIds);
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
        },
      });
      return loadTargetSummary(tx, row!.id);
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateName(input.name));
      throw e;
    });
}
