import type { targets } from "@ops/db";
import type { HostKeyView } from "../../schemas/assets-connection-tests";

export function toHostKeyView(t: typeof targets.$inferSelect): HostKeyView {
  return {
    targetId: t.id,
    type: t.hostKeyType,
    fingerprint: t.hostKeyFingerprint,
    pinnedAt: t.hostKeyPinnedAt?.toISOString() ?? null,
    pendingType: t.hostKeyPendingType,
    pendingFingerprint: t.hostKeyPendingFingerprint,
    pendingSeenAt: t.hostKeyPendingSeenAt?.toISOString() ?? null,
  };
}
