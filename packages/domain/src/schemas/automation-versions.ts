import { z } from "zod";
import { isoDate } from "./common";

/** Who created or saved something; null once that user is gone. */
export const savedByPerson = z.object({ id: z.string(), displayName: z.string() }).nullable();

/** One immutable version of a versioned document (a job, a step template), without its definition. */
export const versionSummary = z.object({
  version: z.number().int(),
  comment: z.string(),
  savedBy: savedByPerson,
  savedAt: isoDate,
  /** SHA-256 of the canonical document: equal definitions, equal hashes. */
  hash: z.string(),
});
export type VersionSummary = z.infer<typeof versionSummary>;

/** A versioned document with one of its versions in full. */
export function versionedView<T extends z.ZodType>(definition: T) {
  return z.object({
    id: z.string(),
    latestVersion: z.number().int(),
    createdAt: isoDate,
    updatedAt: isoDate,
    version: versionSummary.extend({ definition }),
  });
}
