import { sql } from "drizzle-orm";
import { type AnyPgColumn, index, integer, jsonb, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "../columns";
import { credentials } from "./credentials";
import { assets, OS_FAMILIES, TARGET_STATUSES } from "./schema";

export type TargetFacts = {
  hostname?: string;
  osRelease?: string;
  kernel?: string;
  architecture?: string;
  cpuCount?: number;
  memoryBytes?: number;
  uptimeSeconds?: number;
};

export const targets = assets.table(
  "targets",
  {
    id: id(),
    name: text("name").notNull(),
    address: text("address").notNull(),
    port: integer("port").notNull().default(22),
    osFamily: text("os_family", { enum: OS_FAMILIES }).notNull().default("unknown"),
    description: text("description").notNull().default(""),
    /** key=value labels; GIN-indexed for `labels @> '{"env":"prod"}'`. */
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    credentialId: uuid("credential_id").references(() => credentials.id, { onDelete: "set null" }),
    becomeCredentialId: uuid("become_credential_id").references(() => credentials.id, { onDelete: "set null" }),
    jumpHostId: uuid("jump_host_id").references((): AnyPgColumn => targets.id, { onDelete: "set null" }),
    status: text("status", { enum: TARGET_STATUSES }).notNull().default("unknown"),
    statusMessage: text("status_message"),
    lastCheckedAt: tstz("last_checked_at"),
    facts: jsonb("facts").$type<TargetFacts>(),
    factsAt: tstz("facts_at"),
    /** Pinned host key (trust on first use, or pasted by an admin up front). */
    hostKeyType: text("host_key_type"),
    hostKeyFingerprint: text("host_key_fingerprint"),
    hostKeyPinnedAt: tstz("host_key_pinned_at"),
    /** A different key seen since pinning: refused until someone with hostkeys.accept accepts it. */
    hostKeyPendingType: text("host_key_pending_type"),
    hostKeyPendingFingerprint: text("host_key_pending_fingerprint"),
    hostKeyPendingSeenAt: tstz("host_key_pending_seen_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("targets_name_key").on(sql`lower(${t.name})`),
    index("targets_address_idx").on(t.address, t.port),
    index("targets_labels_idx").using("gin", t.labels),
    index("targets_status_idx").on(t.status, t.name),
    index("targets_search_idx").using("gin", sql`(lower(${t.name} || ' ' || ${t.address} || ' ' || ${t.description})) gin_trgm_ops`),
  ],
);

/**
 * The host key last trusted at an address and port, kept apart from the target rows
 * (ADR 0008): deleting a target and creating it again does not reset trust, so only
 * someone with hostkeys.accept can make a changed key acceptable. `address` is lower-case.
 */
export const knownHosts = assets.table(
  "known_hosts",
  {
    address: text("address").notNull(),
    port: integer("port").notNull(),
    keyType: text("key_type"),
    fingerprint: text("fingerprint").notNull(),
    pinnedAt: tstz("pinned_at").notNull().defaultNow(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.address, t.port] })],
);

export const groups = assets.table(
  "groups",
  {
    id: id(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** Groups nest; a target in a child group is in every ancestor. */
    parentId: uuid("parent_id").references((): AnyPgColumn => groups.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("groups_name_key").on(sql`lower(${t.name})`), index("groups_parent_idx").on(t.parentId)],
);

export const targetGroups = assets.table(
  "target_groups",
  {
    targetId: uuid("target_id")
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.targetId, t.groupId] }), index("target_groups_group_idx").on(t.groupId)],
);

export const RELATIONSHIP_KINDS = ["depends_on", "runs_on"] as const;

/** "from depends on to", "from runs on to"; shown both ways in the dashboard. */
export const targetRelationships = assets.table(
  "target_relationships",
  {
    fromTargetId: uuid("from_target_id")
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    toTargetId: uuid("to_target_id")
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: RELATIONSHIP_KINDS }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.fromTargetId, t.toTargetId, t.kind] }), index("target_relationships_to_idx").on(t.toTargetId)],
);
