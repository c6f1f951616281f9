import {
  globalGrants,
  loadUserAccess,
  principalProfile,
  validateApiToken,
  validateSessionToken,
  type Principal,
  type Services,
} from "@ops/domain";
import { createHash } from "node:crypto";

type Cached = { principal: Principal; until: number };

/**
 * Turns a session token or API token into a Principal. Results are cached for a few
 * seconds (the hot path of every request); any change to a user's sessions, tokens,
 * roles or status drops that user's entries here and, through pub/sub, on every node.
 */
export function createPrincipalResolver(services: Services, ttlMs = 5_000) {
  const cache = new Map<string, Cached>();
  const byUser = new Map<string, Set<string>>();
  const inflight = new Map<string, Promise<Principal | null>>();
  let epoch = 0;

  function remember(key: string, principal: Principal) {
    if (cache.size > 10_000) {
      cache.clear();
      byUser.clear();
    }
    cache.set(key, { principal, until: Date.now() + ttlMs });
    let keys = byUser.get(principal.userId);
    if (!keys) byUser.set(principal.userId, (keys = new Set()));
    keys.add(key);
  }

  async function resolve(token: string, ip: string | null): Promise<Principal | null> {
    // node's native SHA-256: this runs on every request.
    const key = createHash("sha256").update(token).digest("hex");
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.principal;
    if (hit) cache.delete(key);
    // When an entry expires under load, every concurrent request for that token would
    // query the database at once; they share one lookup instead.
    const pending = inflight.get(key);
    if (pending) return pending;
    const startedAt = epoch;
    const lookup = (token.startsWith("ops_") ? fromApiToken(token, ip) : fromSession(token)).then(
      (principal) => {
        inflight.delete(key);
        // A change to users' access during the lookup may make its answer stale: serve it
        // to the requests that asked before the change, but never cache it.
        if (principal && epoch === startedAt) remember(key, principal);
        return principal;
      },
      (e: unknown) => {
        inflight.delete(key);
        throw e;
      },
    );
    inflight.set(key, lookup);
    return lookup;
  }

  async function fromSession(token: string): Promise<Principal | null> {
    const row = await validateSessionToken(services.db, token, services.identity);
    if (!row) return null;
    const access = await loadUserAccess(services.db, row.user.id);
    return {
      userId: row.user.id,
      email: row.user.email,
      displayName: row.user.displayName,
      via: "session",
      sessionId: row.session.id,
      profile: principalProfile(row.user, access),
      // A role that requires MFA grants nothing until the user has enrolled.
      grants: access.requireMfa && !row.user.mfaEnabledAt ? [] : globalGrants(access.permissions),
    };
  }

  async function fromApiToken(token: string, ip: string | null): Promise<Principal | null> {
    const row = await validateApiToken(services.db, token, ip);
    if (!row) return null;
    const access = await loadUserAccess(services.db, row.user.id);
    // A token never carries more than its owner holds today, and, as for sessions, a
    // role that requires MFA grants nothing until the owner has enrolled.
    const owned = new Set(access.requireMfa && !row.user.mfaEnabledAt ? [] : access.permissions);
    return {
      userId: row.user.id,
      email: row.user.email,
      displayName: row.user.displayName,
      via: "token",
      tokenId: row.token.id,
      profile: principalProfile(row.user, access),
      grants: globalGrants(row.token.permissions.filter((p) => owned.has(p as never))),
    };
  }

  function invalidateUsers(userIds: string[]) {
    epoch++;
    inflight.clear();
    for (const id of userIds) {
      for (const key of byUser.get(id) ?? []) cache.delete(key);
      byUser.delete(id);
    }
  }

  /** Forgets every cached principal (e.g. after missing invalidations from other nodes). */
  function clear() {
    epoch++;
    inflight.clear();
    cache.clear();
    byUser.clear();
  }

  return { resolve, invalidateUsers, clear };
}

export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;
