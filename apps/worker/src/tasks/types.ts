import type { Database } from "@ops/db";
import type { IdentitySettings, LivePublisher, MasterKeys } from "@ops/domain";
import type { OutputSettings } from "../engine/output-settings";
import type { EmailSender } from "../notify/email-sender";
import type { Logger } from "pino";

export type TaskDeps = {
  db: Database;
  identity: IdentitySettings;
  /** Secrets are opened only here, in worker memory, at the moment of use. */
  masterKeys: MasterKeys;
  log: Logger;
  workerId: string;
  discovery: DiscoverySettings;
  /** Live messages out; verbs given a system context built from these deps publish after they commit. */
  live?: LivePublisher;
  output?: OutputSettings;
  /** Outbox retention (OPS_EVENTS_RETENTION_DAYS). */
  events?: { retentionDays: number };
  /** Notification senders kept across jobs (pooled SMTP transports), closed when the worker stops. */
  notify?: { email: EmailSender };
};

/** portableSockets: scan with net.Socket rather than Node's internal tcp_wrap binding (ADR 0009). */
export type DiscoverySettings = { portableSockets: boolean };

/** Which try this is: a handler records a final failure itself rather than leave work "running". */
export type JobAttempt = {
  attempt: number;
  maxAttempts: number;
  /** Aborted when the worker shuts down: a long-running handler stops at a safe point. */
  signal?: AbortSignal;
};
