import { desc, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { credentials, notificationChannels, notificationDeliveries, notificationRules } from "@ops/db";
import { NotFound } from "../../errors";
import {
  emailChannelConfig,
  retryPolicy,
  webhookChannelConfig,
  type ChannelView,
  type EmailChannelConfig,
  type WebhookChannelConfig,
} from "../../schemas/communication-channels";

export type ChannelRow = typeof notificationChannels.$inferSelect;

/** The stored config read back through its schema (defaults filled for rows saved before a field existed). */
export function channelConfigOf(row: Pick<ChannelRow, "kind" | "config">): EmailChannelConfig | WebhookChannelConfig {
  return row.kind === "email" ? emailChannelConfig.parse(row.config) : webhookChannelConfig.parse(row.config);
}

/** Every vault credential a channel's config names, with the form field that names it. */
export function credentialRefsOf(kind: string, config: EmailChannelConfig | WebhookChannelConfig): { field: string; id: string }[] {
  if (kind === "email") {
    const c = config as EmailChannelConfig;
    return c.authCredentialId ? [{ field: "config.authCredentialId", id: c.authCredentialId }] : [];
  }
  const c = config as WebhookChannelConfig;
  const refs = c.signingCredentialId ? [{ field: "config.signingCredentialId", id: c.signingCredentialId }] : [];
  c.headers.forEach((h, i) => {
    if ("credentialId" in h) refs.push({ field: `config.headers.${i}.credentialId`, id: h.credentialId });
  });
  return refs;
}

/** Rows to views: credential names for display (never a secret), rule counts and the last delivery. */
export async function toChannelViews(db: Executor, rows: ChannelRow[]): Promise<ChannelView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const configs = new Map(rows.map((r) => [r.id, channelConfigOf(r)]));
  const credIds = [...new Set(rows.flatMap((r) => credentialRefsOf(r.kind, configs.get(r.id)!).map((c) => c.id)))];
  const [creds, ruleCounts, last] = await Promise.all([
    credIds.length
      ? db.select({ id: credentials.id, name: credentials.name }).from(credentials).where(inArray(credentials.id, credIds))
      : [],
    db
      .select({ channelId: notificationRules.channelId, n: sql<number>`count(*)::int` })
      .from(notificationRules)
      .where(inArray(notificationRules.channelId, ids))
      .groupBy(notificationRules.channelId),
    db
      .selectDistinctOn([notificationDeliveries.channelId], {
        channelId: notificationDeliveries.channelId,
        status: notificationDeliveries.status,
        at: sql<Date>`coalesce(${notificationDeliveries.deliveredAt}, ${notificationDeliveries.lastAttemptAt}, ${notificationDeliveries.createdAt})`.mapWith(
          (v: string | Date) => new Date(v),
        ),
      })
      .from(notificationDeliveries)
      .where(inArray(notificationDeliveries.channelId, ids))
      .orderBy(notificationDeliveries.channelId, desc(notificationDeliveries.id)),
  ]);
  const credName = new Map(creds.map((c) => [c.id, c.name]));
  const rulesOf = new Map(ruleCounts.map((r) => [r.channelId, r.n]));
  const lastOf = new Map(last.map((l) => [l.channelId, l]));
  return rows.map((r) => {
    const config = configs.get(r.id)!;
    const l = lastOf.get(r.id);
    return {
      id: r.id,
      name: r.name,
      kind: r.kind,
      enabled: r.enabled,
      config,
      retry: retryPolicy.parse(r.retry),
      credentialNames: Object.fromEntries(credentialRefsOf(r.kind, config).map((c) => [c.id, credName.get(c.id) ?? null])),
      ruleCount: rulesOf.get(r.id) ?? 0,
      lastDelivery: l ? { at: l.at.toISOString(), status: l.status } : null,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  });
}

export async function loadChannelRow(db: Executor, id: string, forUpdate = false): Promise<ChannelRow> {
  const q = db.select().from(notificationChannels).where(eq(notificationChannels.id, id));
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("Channel");
  return row;
}

export async function loadChannelView(db: Executor, id: string): Promise<ChannelView> {
  return (await toChannelViews(db, [await loadChannelRow(db, id)]))[0]!;
}

/**
 * What the audit log keeps of a channel: its settings, with header values left out (a
 * plain header may still carry something sensitive) and credentials by id only.
 */
export function channelAuditFields(c: {
  name: string;
  kind: string;
  enabled: boolean;
  config: EmailChannelConfig | WebhookChannelConfig;
  retry: unknown;
}) {
  const config =
    c.kind === "webhook"
      ? {
          ...(c.config as WebhookChannelConfig),
          headers: (c.config as WebhookChannelConfig).headers.map((h) => ({ name: h.name, vault: "credentialId" in h })),
        }
      : c.config;
  return { name: c.name, kind: c.kind, enabled: c.enabled, config, retry: c.retry };
}
