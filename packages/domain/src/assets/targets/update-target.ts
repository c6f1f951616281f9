import { eq, sql } from "drizzle-orm";
import { targets, targetGroups } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { TargetSummary, UpdateTargetInput } from "../../schemas/assets-targets";
import { knownHostKey, pinColumnsOf, rememberHostKey } from "../host-keys/known-hosts";
import {
  assertCredential,
  assertFresh,
  assertGroups,
  assertJumpHost,
  assertMayMoveCredential,
  assertMayPinHostKey,
  assertMayUseCredential,
  assertNameFree,
  duplicateName,
  isUniqueViolation,
  mayReadCredentials,
  replaceTargetGroups,
} from "./target-rules";
import { loadTargetRow, loadTargetSummary } from "./target-view";

/**
 * Changes only the fields given; `null` clears a credential or the jump host. With
 * `expectedUpdatedAt`, an edit made from an older copy is refused and writes nothing.
 * Setting a credential, or moving a target that has one (address, port, jump host),
 * decides where a secret is sent: that needs credentials.use.
 */
export async function updateTarget({ ctx, input }: VerbArgs<UpdateTargetInput>): Promise<TargetSummary> {
  if (input.expectedHostKeyFingerprint) assertMayPinHostKey(ctx);
  if (input.credentialId || input.becomeCredentialId) assertMayUseCredential(ctx);
  return ctx.services.db
    .transaction(async (tx) => {
      const before = await loadTargetRow(tx, input.id, true);
      assertFresh("Target", before, input.expectedUpdatedAt);
      const address = input.address ?? before.address;
      const port = input.port ?? before.port;
      const moved = address.toLowerCase() !== before.address.toLowerCase() || port !== before.port;
      const jumpChanged = input.jumpHostId !== undefined && input.jumpHostId !== before.jumpHostId;
      const keepsCredential =
        (input.credentialId === undefined ? before.credentialId : input.credentialId) ??
        (input.becomeCredentialId === undefined ? before.becomeCredentialId : input.becomeCredentialId);
      if ((moved || jumpChanged) && keepsCredential) assertMayMoveCredential(ctx);
      if (input.name !== undefined) await assertNameFree(tx, input.name, input.id);
      if (input.credentialId) await assertCredential(tx, input.credentialId, "login");
      if (input.becomeCredentialId) await assertCredential(tx, input.becomeCredentialId, "become");
      // Serialise jump-host edits so two concurrent changes cannot each close half a cycle.
      if (input.jumpHostId) {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('assets.targets.jump_hosts'))`);
        await assertJumpHost(tx, input.id, input.jumpHostId);
      }
      const set: Partial<typeof targets.$inferInsert> = {};
      for (const k of [
        "name",
        "address",
        "port",
        "osFamily",
        "description",
        "labels",
        "credentialId",
        "becomeCredentialId",
        "jumpHostId",
      ] as const) {
        if (input[k] !== undefined) (set as Record<string, unknown>)[k] = input[k];
      }
      if (input.expectedHostKeyFingerprint) {
        set.hostKeyFingerprint = input.expectedHostKeyFingerprint;
        set.hostKeyPinnedAt = new Date();
        // The admin has just declared which key is right: a pending key that matches is settled.
        if (before.hostKeyPendingFingerprint === input.expectedHostKeyFingerprint) {
          set.hostKeyType = before.hostKeyPendingType;
          set.hostKeyPendingFingerprint = null;
          set.hostKeyPendingType = null;
          set.hostKeyPendingSeenAt = null;
        } else if (before.hostKeyFingerprint !== input.expectedHostKeyFingerprint) {
          set.hostKeyType = null;
        }
        await rememberHostKey(tx, { address, port }, { type: set.hostKeyType ?? null, fingerprint: input.expectedHostKeyFingerprint });
      } else if (moved) {
        // At an endpoint whose key is already trusted, that key is the pin (known-hosts.ts).
        const known = await knownHostKey(tx, address, port);
        if (known)
          Object.assign(set, pinColumnsOf(known), {
            hostKeyPendingFingerprint: null,
            hostKeyPendingType: null,
            hostKeyPendingSeenAt: null,
          });
      }
      await tx
        .update(targets)
        .set({ ...set, updatedAt: sql`now()` })
        .where(eq(targets.id, input.id));
      let groupChange: Record<string, unknown> = {};
      if (input.groupIds) {
        const beforeGroups = (await tx.select({ g: targetGroups.groupId }).from(targetGroups).where(eq(targetGroups.targetId, input.id)))
          .map((r) => r.g)
          .sort();
        await assertGroups(tx, input.groupIds);
        await replaceTargetGroups(tx, input.id, input.groupIds);
        groupChange = diff({ groupIds: beforeGroups }, { groupIds: [...new Set(input.groupIds)].sort() });
      }
      const pick = (r: Record<string, unknown>) => ({
        name: r.name,
        address: r.address,
        port: r.port,
        osFamily: r.osFamily,
        description: r.description,
        labels: r.labels,
        loginId: r.credentialId,
        becomeId: r.becomeCredentialId,
        jumpHostId: r.jumpHostId,
        expectedFingerprint: r.hostKeyFingerprint,
      });
      const changes = { ...diff(pick(before), pick({ ...before, ...set })), ...groupChange };
      await appendAudit(tx, ctx, { action: "assets.targets.update", objectType: "target", objectId: input.id, changes });
      return loadTargetSummary(tx, input.id, mayReadCredentials(ctx));
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateName(input.name ?? ""));
      throw e;
    });
}
