import type { Database, Tx } from "@ops/db";
import type { MasterKeys } from "./crypto/secret-box";
import type { Principal } from "./permissions";
import type { LoginThrottle } from "./identity/throttle";
import type { LivePublisher } from "./live/publisher";
import type { LiveSubscriber } from "./live/subscriber";

export type IdentitySettings = {
  /** A session unused for this long ends. */
  sessionIdleMinutes: number;
  /** A session ends this long after sign-in, however active. */
  sessionAbsoluteHours: number;
  /** Public base URL, for setup links. */
  publicUrl: string;
};

/** Long-lived services shared by every request of a process (API or worker). */
export type Services = {
  db: Database;
  masterKeys: MasterKeys;
  throttle: LoginThrottle;
  identity: IdentitySettings;
  /** Where the master key came from: a generated key file needs a backup (the home page warns). */
  masterKeySource?: { generated: boolean; file: string | null };
  /** Tells other nodes that cached principals for these users are stale. */
  onPrincipalsChanged?: (userIds: string[]) => void;
  /** Live messages out (ADR 0012, "Live delivery"); verbs publish after they commit. */
  live?: LivePublisher;
  /** Live messages in (API nodes): what subscriptions wait on. */
  liveEvents?: LiveSubscriber;
};

export type RequestMeta = { ip: string | null; userAgent: string | null; requestId: string | null };

/** What a domain verb receives: `verb({ ctx, input })`. */
export type DomainContext = {
  services: Services;
  principal: Principal | null;
  meta: RequestMeta;
};

export type VerbArgs<I> = { ctx: DomainContext; input: I };

/** What verbs run by the worker need: the database and the vault. */
export type SystemServices = Pick<Services, "db" | "masterKeys" | "live">;

/**
 * The context of a verb the worker runs on the system's behalf (STYLE.md 15). A request's
 * `DomainContext` fits it too, so the API can call the same verbs. `meta.userAgent` names
 * the actor in the audit log, e.g. "system (worker w-1)".
 */
export type SystemContext = { services: SystemServices; principal: Principal | null; meta: RequestMeta };
export type SystemVerbArgs<I> = { ctx: SystemContext; input: I };

export function systemContext(services: SystemServices, actor: string): SystemContext {
  return {
    services: { db: services.db, masterKeys: services.masterKeys, live: services.live },
    principal: null,
    meta: { ip: null, userAgent: `system (${actor})`, requestId: null },
  };
}

export function inTransaction<T>(ctx: { services: Pick<Services, "db"> }, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return ctx.services.db.transaction(fn);
}

export const systemMeta: RequestMeta = { ip: null, userAgent: "system", requestId: null };
