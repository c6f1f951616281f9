import { sql } from "drizzle-orm";
import { integer, jsonb, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "../columns";
import { users } from "../identity/users";
import { automation } from "./workers";

/** A step template of the step library: its identity and where its history stands. */
export const stepTemplates = automation.table(
  "step_templates",
  {
    id: id(),
    /** Copied from the latest version, for lists and unique names. */
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** The step kind it fills (a STEP_KINDS id), copied from the latest version. */
    kind: text("kind").notNull(),
    latestVersion: integer("latest_version").notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** Deleted templates keep their versions for the job versions and runs that used them. */
    deletedAt: tstz("deleted_at"),
  },
  (t) => [
    uniqueIndex("step_templates_name_key")
      .on(sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} IS NULL`),
  ],
);

/** Every save of a template: immutable (a trigger refuses updates), pinned by the steps that name a version. */
export const stepTemplateVersions = automation.table(
  "step_template_versions",
  {
    templateId: uuid("template_id")
      .notNull()
      .references(() => stepTemplates.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** The whole definition (packages/domain/src/schemas/automation-step-templates.ts), canonical form. */
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    /** SHA-256 (hex) of the canonical JSON of `definition`. */
    hash: text("hash").notNull(),
    comment: text("comment").notNull().default(""),
    savedBy: uuid("saved_by").references(() => users.id, { onDelete: "set null" }),
    savedAt: tstz("saved_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.templateId, t.version] })],
);
