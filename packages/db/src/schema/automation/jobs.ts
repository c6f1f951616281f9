import { sql } from "drizzle-orm";
import { index, integer, jsonb, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "../columns";
import { users } from "../identity/users";
import { automation } from "./workers";

/** A job: its identity and where its history stands. What it does lives in its versions. */
export const jobs = automation.table(
  "jobs",
  {
    id: id(),
    /** Copied from the latest version, for lists and unique names. */
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    latestVersion: integer("latest_version").notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** Deleted jobs keep their versions: runs that pinned one still show what they ran. */
    deletedAt: tstz("deleted_at"),
  },
  (t) => [
    uniqueIndex("jobs_name_key")
      .on(sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} IS NULL`),
    index("jobs_labels_idx").using("gin", t.labels),
  ],
);

/** Every save of a job: immutable (no code path updates a row), pinned by the runs that used it. */
export const jobVersions = automation.table(
  "job_versions",
  {
    jobId: uuid("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** The whole definition (packages/domain/src/schemas/automation-jobs.ts), canonical form. */
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    /** SHA-256 (hex) of the canonical JSON of `definition`. */
    hash: text("hash").notNull(),
    comment: text("comment").notNull().default(""),
    savedBy: uuid("saved_by").references(() => users.id, { onDelete: "set null" }),
    savedAt: tstz("saved_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.version] })],
);
