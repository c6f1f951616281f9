import { z } from "zod";
import type * as db from "@ops/db/schema/assets/index";
import { isoDate, pageInput, uuid } from "./common";

// Browser-safe copies of the database enums (the web imports this file directly); the
// type checks below fail the build if they ever drift from packages/db.
export const TARGET_STATUSES = ["unknown", "reachable", "unreachable", "auth_failed", "host_key_changed"] as const;
export const OS_FAMILIES = ["linux", "bsd", "macos", "windows", "network", "other", "unknown"] as const;
export const RELATIONSHIP_KINDS = ["depends_on", "runs_on"] as const;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<(typeof TARGET_STATUSES)[number], (typeof db.TARGET_STATUSES)[number]>;
true satisfies Same<(typeof OS_FAMILIES)[number], (typeof db.OS_FAMILIES)[number]>;
true satisfies Same<(typeof RELATIONSHIP_KINDS)[number], (typeof db.RELATIONSHIP_KINDS)[number]>;

// --- field rules (shared by forms, the API and the importer) ---

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const ipv4 = z.ipv4();
const ipv6 = z.ipv6();

/**
 * IPv4, IPv6 or an RFC 1123 host name. A name whose last label is all digits is refused
 * (RFC 3696: no numeric top-level label), so "300.1.1.1" is a bad IP, not a host name.
 */
export function isValidAddress(value: string): boolean {
  if (ipv4.safeParse(value).success || ipv6.safeParse(value).success) return true;
  return HOST_NAME.test(value) && !/(^|\.)\d+\.?$/.test(value);
}
export const ADDRESS_MESSAGE = "Enter an IPv4 or IPv6 address or a host name (letters, digits, hyphens, dots)";
/** One message per mistake: an empty or too long address is not also reported as malformed. */
export const address = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    if (!v) ctx.addIssue({ code: "custom", message: "Enter an address" });
    else if (v.length > 253) ctx.addIssue({ code: "custom", message: "An address is at most 253 characters" });
    else if (!isValidAddress(v)) ctx.addIssue({ code: "custom", message: ADDRESS_MESSAGE });
  });

export const PORT_MESSAGE = "Port must be a whole number from 1 to 65535";
export const port = z.number({ message: PORT_MESSAGE }).int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE);

export const LABEL_KEY = /^[a-z0-9_.\-/]{1,63}$/;
export const LABEL_KEY_MESSAGE = "Label keys use a-z, 0-9 and _ . - / (at most 63 characters)";
/** `;` separates labels in CSV, so a value cannot hold one. */
export const LABEL_VALUE = /^[^;\n\r\t]{0,200}$/;
export const LABEL_VALUE_MESSAGE = "Label values are at most 200 characters, without ; or line breaks";
export const labelKey = z.string().regex(LABEL_KEY, LABEL_KEY_MESSAGE);
export const labelValue = z.string().regex(LABEL_VALUE, LABEL_VALUE_MESSAGE);
export const labels = z.record(labelKey, labelValue).refine((l) => Object.keys(l).length <= 50, "At most 50 labels");
/** "key=value" (split at the first `=`), as typed in a filter box or a bulk action. */
export const labelPair = z
  .string()
  .trim()
  .regex(/^[^=]+=.*$/, "Write labels as key=value")
  .refine((s) => LABEL_KEY.test(s.slice(0, s.indexOf("="))), LABEL_KEY_MESSAGE)
  .refine((s) => LABEL_VALUE.test(s.slice(s.indexOf("=") + 1)), LABEL_VALUE_MESSAGE);
/** "key=value", or "key" alone (any value), for removal. */
export const labelSelector = z
  .string()
  .trim()
  .refine((s) => LABEL_KEY.test(s.includes("=") ? s.slice(0, s.indexOf("=")) : s), LABEL_KEY_MESSAGE);

export const targetName = z
  .string()
  .trim()
  .min(1, "Name the target")
  .max(200)
  .regex(/^[^\n\r\t]*$/, "No line breaks or tabs in a name");
export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
export const fingerprint = z.string().trim().regex(FINGERPRINT, "Fingerprints look like SHA256: followed by 43 base64 characters");
export const osFamily = z.enum(OS_FAMILIES);
export const targetStatus = z.enum(TARGET_STATUSES);
export const relationshipKind = z.enum(RELATIONSHIP_KINDS);
export const groupName = z
  .string()
  .trim()
  .min(1, "Name the group")
  .max(100)
  .regex(/^[^;\n\r\t]*$/, "Group names cannot hold ; or line breaks");

// --- targets ---

export const TARGET_SORTS = ["name", "address", "status", "lastCheckedAt"] as const;
export const targetFilters = z.object({
  search: z.string().trim().max(200).optional(),
  labels: z.array(labelPair).max(20).default([]),
  groupId: uuid.optional(),
  status: z.array(targetStatus).max(5).default([]),
});
export type TargetFilters = z.infer<typeof targetFilters>;
export const listTargetsInput = pageInput.merge(targetFilters).extend({
  sort: z.enum(TARGET_SORTS).default("name"),
  dir: z.enum(["asc", "desc"]).default("asc"),
});
export type ListTargetsInput = z.infer<typeof listTargetsInput>;

const named = z.object({ id: z.string(), name: z.string() });
export const targetSummary = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  osFamily,
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  groups: z.array(named),
  credential: named.nullable(),
  becomeCredential: named.nullable(),
  /** The viewer lacks credentials.read: `credential` and `becomeCredential` are null whatever is set (CONTRACTS C8). */
  credentialHidden: z.boolean(),
  jumpHost: named.nullable(),
  status: targetStatus,
  statusMessage: z.string().nullable(),
  lastCheckedAt: isoDate.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type TargetSummary = z.infer<typeof targetSummary>;
export const targetPage = z.object({
  items: z.array(targetSummary),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

export const relationshipView = z.object({
  kind: relationshipKind,
  /** "out": this target -> other ("depends on X"); "in": other -> this ("X depends on this"). */
  direction: z.enum(["out", "in"]),
  other: named,
  text: z.string(),
});
export const connectionTestView = z.object({
  id: z.string(),
  status: z.string(),
  cause: z.string().nullable(),
  error: z.string().nullable(),
  latencyMs: z.number().nullable(),
  createdAt: isoDate,
  finishedAt: isoDate.nullable(),
});
export const targetDetail = targetSummary.extend({
  facts: z.record(z.string(), z.unknown()).nullable(),
  factsAt: isoDate.nullable(),
  hostKey: z.object({
    type: z.string().nullable(),
    fingerprint: z.string().nullable(),
    pinnedAt: isoDate.nullable(),
    pendingType: z.string().nullable(),
    pendingFingerprint: z.string().nullable(),
    pendingSeenAt: isoDate.nullable(),
  }),
  relationships: z.array(relationshipView),
  /** Targets that use this one as their jump host. */
  jumpHostFor: z.array(named),
  recentTests: z.array(connectionTestView),
});
export type TargetDetail = z.infer<typeof targetDetail>;

export const targetIdInput = z.object({ id: uuid });
/**
 * CONTRACTS C1: the `updatedAt` of the copy an edit form opened (ISO 8601, as the view
 * gave it). When the row has changed since, the update is refused with Conflict.
 */
export const expectedUpdatedAt = z.iso.datetime({ offset: true, message: "Must be the updatedAt the form was opened with" });
export const createTargetInput = z.object({
  name: targetName,
  address,
  port: port.default(22),
  osFamily: osFamily.default("unknown"),
  description: z.string().trim().max(2000).default(""),
  labels: labels.default({}),
  groupIds: z.array(uuid).max(200).default([]),
  credentialId: uuid.nullable().default(null),
  becomeCredentialId: uuid.nullable().default(null),
  jumpHostId: uuid.nullable().default(null),
  /** Pasted by an admin up front; needs hostkeys.accept as well. */
  expectedHostKeyFingerprint: fingerprint.optional(),
});
export type CreateTargetInput = z.infer<typeof createTargetInput>;
/** CONTRACTS C6: the create succeeds; `warnings` says what looks unintended (another target at the same address and port). */
export const createTargetResult = targetSummary.extend({ warnings: z.array(z.string()) });
export type CreateTargetResult = z.infer<typeof createTargetResult>;
export const updateTargetInput = z.object({
  id: uuid,
  name: targetName.optional(),
  address: address.optional(),
  port: port.optional(),
  osFamily: osFamily.optional(),
  description: z.string().trim().max(2000).optional(),
  labels: labels.optional(),
  groupIds: z.array(uuid).max(200).optional(),
  credentialId: uuid.nullable().optional(),
  becomeCredentialId: uuid.nullable().optional(),
  jumpHostId: uuid.nullable().optional(),
  expectedHostKeyFingerprint: fingerprint.optional(),
  expectedUpdatedAt: expectedUpdatedAt.optional(),
});
export type UpdateTargetInput = z.infer<typeof updateTargetInput>;
export const deleteTargetResult = z.object({ id: z.string(), deleted: z.literal(true) });

export const BULK_MAX = 5000;
const bulkIds = z.array(uuid).min(1, "Select at least one target").max(BULK_MAX, `At most ${BULK_MAX} targets at once`);
/**
 * CONTRACTS C2: every bulk action names its targets by `ids` or by `filter` (the list's
 * filters: "every target matching"), exactly one of the two.
 */
const bulkSelection = { ids: bulkIds.optional(), filter: targetFilters.optional() };
const credentialChoice = uuid.nullable().optional();
export const bulkTargetsInput = z
  .discriminatedUnion("action", [
    z.object({ action: z.literal("addLabels"), ...bulkSelection, labels: z.array(labelPair).min(1).max(50) }),
    z.object({ action: z.literal("removeLabels"), ...bulkSelection, labels: z.array(labelSelector).min(1).max(50) }),
    z.object({ action: z.literal("addGroups"), ...bulkSelection, groupIds: z.array(uuid).min(1).max(100) }),
    z.object({ action: z.literal("removeGroups"), ...bulkSelection, groupIds: z.array(uuid).min(1).max(100) }),
    z.object({ action: z.literal("delete"), ...bulkSelection }),
    /** null clears; an absent field is left alone; at least one of the two is given. */
    z.object({
      action: z.literal("setCredential"),
      ...bulkSelection,
      credentialId: credentialChoice,
      becomeCredentialId: credentialChoice,
    }),
  ])
  .superRefine((v, ctx) => {
    if ((v.ids === undefined) === (v.filter === undefined))
      ctx.addIssue({ code: "custom", path: ["ids"], message: "Give either ids or filter (exactly one)" });
    if (v.action === "setCredential" && v.credentialId === undefined && v.becomeCredentialId === undefined)
      ctx.addIssue({ code: "custom", path: ["credentialId"], message: "Choose a credential or a become credential (null clears it)" });
  });
export type BulkTargetsInput = z.infer<typeof bulkTargetsInput>;
export const bulkTargetsResult = z.object({
  action: z.string(),
  /** Ids sent (for a filter: the targets matching it). */
  selected: z.number().int(),
  /** Of those, targets that exist. */
  matched: z.number().int(),
  /** Targets (or memberships) actually changed. */
  changed: z.number().int(),
});

export const relationshipInput = z.object({ fromId: uuid, toId: uuid, kind: relationshipKind });
export const relationshipResult = z.object({ fromId: z.string(), toId: z.string(), kind: relationshipKind, changed: z.boolean() });

// --- groups ---

export type GroupNode = {
  id: string;
  name: string;
  description: string;
  parentId: string | null;
  /** Targets directly in this group. */
  directTargets: number;
  /** Distinct targets in this group or any descendant. */
  totalTargets: number;
  updatedAt: string;
  children: GroupNode[];
};
export const groupNode: z.ZodType<GroupNode> = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  parentId: z.string().nullable(),
  directTargets: z.number().int(),
  totalTargets: z.number().int(),
  updatedAt: isoDate,
  get children() {
    return z.array(groupNode);
  },
});
export const groupTree = z.array(groupNode);
export const groupView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  parentId: z.string().nullable(),
  updatedAt: isoDate,
});
export type GroupView = z.infer<typeof groupView>;
export const createGroupInput = z.object({
  name: groupName,
  description: z.string().trim().max(500).default(""),
  parentId: uuid.nullable().default(null),
});
export const updateGroupInput = z.object({
  id: uuid,
  name: groupName.optional(),
  description: z.string().trim().max(500).optional(),
  parentId: uuid.nullable().optional(),
  expectedUpdatedAt: expectedUpdatedAt.optional(),
});
export const groupIdInput = z.object({ id: uuid });
export const groupMembersInput = z.object({ groupId: uuid, targetIds: z.array(uuid).max(BULK_MAX) });
export const groupMembersResult = z.object({ groupId: z.string(), added: z.number().int(), removed: z.number().int() });
export const deleteGroupResult = z.object({ id: z.string(), deleted: z.literal(true), childrenMoved: z.number().int() });

// --- import / export ---

export const IMPORT_MAX_BYTES = 5 * 1024 * 1024;
export const IMPORT_COLUMNS = [
  "name",
  "address",
  "port",
  "os_family",
  "description",
  "labels",
  "groups",
  "credential",
  "become_credential",
  "jump_host",
] as const;
export const importInput = z.object({
  format: z.enum(["csv", "json"]),
  content: z.string().max(IMPORT_MAX_BYTES, "At most 5 MB"),
  /** What to do with rows whose name already exists. */
  onExisting: z.enum(["skip", "update"]).default("skip"),
});
export type ImportInput = z.infer<typeof importInput>;
export const importedTarget = z.object({
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  osFamily,
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  groups: z.array(z.string()),
  credential: z.string().nullable(),
  becomeCredential: z.string().nullable(),
  jumpHost: z.string().nullable(),
});
export type ImportedTarget = z.infer<typeof importedTarget>;
export const importRow = z.object({
  /** CSV: the physical line the record starts on (header is line 1). JSON: the element's 1-based position. */
  line: z.number().int(),
  ok: z.boolean(),
  errors: z.array(z.string()),
  /** create, update (exists, onExisting=update) or skip (exists, onExisting=skip). */
  action: z.enum(["create", "update", "skip"]),
  target: importedTarget.nullable(),
});
export const importPreview = z.object({
  rows: z.array(importRow),
  valid: z.number().int(),
  invalid: z.number().int(),
  duplicatesInFile: z.number().int(),
  /** Names already present: updated or skipped per onExisting. */
  existing: z.array(z.string()),
  /** Groups named in the file that do not exist yet: created on commit. */
  groupsToCreate: z.array(z.string()),
});
export type ImportPreview = z.infer<typeof importPreview>;
export const importResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  groupsCreated: z.number().int(),
});
export const EXPORT_MAX = 50_000;
export const exportCsvInput = targetFilters.extend({
  sort: z.enum(TARGET_SORTS).default("name"),
  dir: z.enum(["asc", "desc"]).default("asc"),
});
export const exportCsvResult = z.object({ csv: z.string(), count: z.number().int() });
