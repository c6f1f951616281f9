import { boolean, index, integer, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz } from "../columns";
import { users } from "../identity/users";
import { assets } from "./schema";
import { targets } from "./targets";

/** Networks discovery may scan, set by an admin. Empty means none. */
export const discoveryAllowedNetworks = assets.table("discovery_allowed_networks", {
  id: id(),
  cidr: text("cidr").notNull().unique(),
  note: text("note").notNull().default(""),
  createdAt: createdAt(),
});

export const DISCOVERY_SCAN_STATUSES = ["queued", "running", "done", "cancelled", "failed"] as const;

export const discoveryScans = assets.table(
  "discovery_scans",
  {
    id: id(),
    /** What the user asked for: CIDR blocks, a-b ranges, host names. */
    specs: text("specs").array().notNull(),
    ports: integer("ports").array().notNull(),
    status: text("status", { enum: DISCOVERY_SCAN_STATUSES }).notNull().default("queued"),
    /** Probes = addresses x ports. */
    total: integer("total").notNull(),
    done: integer("done").notNull().default(0),
    found: integer("found").notNull().default(0),
    concurrency: integer("concurrency").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    cancelRequested: boolean("cancel_requested").notNull().default(false),
    error: text("error"),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    startedAt: tstz("started_at"),
    finishedAt: tstz("finished_at"),
  },
  (t) => [index("discovery_scans_created_idx").on(t.createdAt)],
);

export const DISCOVERY_MATCHES = ["new", "known", "known_different_key"] as const;

export const discoveryResults = assets.table(
  "discovery_results",
  {
    id: id(),
    scanId: uuid("scan_id")
      .notNull()
      .references(() => discoveryScans.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    port: integer("port").notNull(),
    banner: text("banner"),
    hostKeyType: text("host_key_type"),
    hostKeyFingerprint: text("host_key_fingerprint"),
    reverseDns: text("reverse_dns"),
    match: text("match", { enum: DISCOVERY_MATCHES }).notNull().default("new"),
    targetId: uuid("target_id").references(() => targets.id, { onDelete: "set null" }),
    importedAt: tstz("imported_at"),
    createdAt: createdAt(),
  },
  (t) => [index("discovery_results_scan_idx").on(t.scanId, t.address, t.port)],
);
