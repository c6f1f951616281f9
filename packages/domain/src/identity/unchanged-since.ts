import { Conflict } from "../errors";

/**
 * Edit forms send back the `updatedAt` their view showed (CONTRACTS C1): a row written
 * since then is not overwritten. Compared at millisecond precision (what the view's ISO
 * string carries); call it on the row read FOR UPDATE, inside the writing transaction.
 */
export function assertUnchangedSince(kind: string, name: string, updatedAt: Date, expectedUpdatedAt: string | undefined): void {
  if (expectedUpdatedAt === undefined) return;
  if (Math.floor(updatedAt.getTime()) === Date.parse(expectedUpdatedAt)) return;
  throw new Conflict(`${kind} "${name}" was changed by someone else since you opened it. Reload to see the changes.`);
}
