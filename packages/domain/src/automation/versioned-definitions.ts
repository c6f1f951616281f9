import { createHash } from "node:crypto";
import { Conflict } from "../errors";
import type { VersionSummary } from "../schemas/automation-versions";
import { canonicalJson } from "../schemas/automation-workflow";

/**
 * What jobs and step templates share: each save writes an immutable version holding the
 * canonical definition and its hash, and is refused when based on an older version.
 */

/** The stored form of a definition and its hash: equal definitions, equal hashes. */
export function sealDefinition(definition: object): { stored: Record<string, unknown>; hash: string } {
  const json = canonicalJson(definition);
  return { stored: JSON.parse(json) as Record<string, unknown>, hash: createHash("sha256").update(json).digest("hex") };
}

/** Refuses a save based on an older version than the latest, so two editors never overwrite each other. */
export function assertExpectedVersion(what: string, row: { name: string; latestVersion: number }, expectedVersion: number | undefined) {
  if (expectedVersion === undefined || expectedVersion === row.latestVersion) return;
  throw new Conflict(
    `${what} "${row.name}" was changed by someone else since you opened it (version ${row.latestVersion} is newer than your ${expectedVersion}). Reload to see the changes.`,
  );
}

type VersionRow = { version: number; comment: string; savedBy: string | null; savedAt: Date; hash: string };

/** A version row without its definition; `savedByName` from the users join. */
export function versionSummaryView(v: VersionRow, savedByName: string | null): VersionSummary {
  return {
    version: v.version,
    comment: v.comment,
    savedBy: v.savedBy ? { id: v.savedBy, displayName: savedByName ?? "" } : null,
    savedAt: v.savedAt.toISOString(),
    hash: v.hash,
  };
}
