import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { users } from "@ops/db";
import { NotFound, Unauthorized } from "../../errors";
import type { DomainContext } from "../../context";
import type { Principal } from "../../permissions";
import type { UserView } from "../../schemas/identity";
import { loadUsersRoles } from "../principal";

export type UserRow = typeof users.$inferSelect;

/** Rows to views, roles loaded in one query for the whole page. */
export async function toUserViews(db: Executor, rows: UserRow[]): Promise<UserView[]> {
  const roles = await loadUsersRoles(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((u) => ({
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    disabled: !!u.disabledAt,
    mfaEnabled: !!u.mfaEnabledAt,
    roles: (roles.get(u.id) ?? []).sort((a, b) => a.name.localeCompare(b.name)),
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    pendingSetup: !u.passwordHash,
  }));
}

export async function loadUserRow(db: Executor, id: string, forUpdate = false): Promise<UserRow> {
  const q = db.select().from(users).where(eq(users.id, id)).limit(1);
  const [row] = forUpdate ? await q.for("update") : await q;
  if (!row) throw new NotFound("User");
  return row;
}

export async function loadUserView(db: Executor, id: string): Promise<UserView> {
  const [view] = await toUserViews(db, [await loadUserRow(db, id)]);
  return view!;
}

export async function loadUserRows(db: Executor, ids: string[]): Promise<UserRow[]> {
  return ids.length === 0 ? [] : db.select().from(users).where(inArray(users.id, ids));
}

export function actorOf(ctx: DomainContext): Principal {
  if (!ctx.principal) throw new Unauthorized("Sign in first");
  return ctx.principal;
}
