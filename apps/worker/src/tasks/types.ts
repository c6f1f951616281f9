import type { Database } from "@ops/db";
import type { IdentitySettings, MasterKeys } from "@ops/domain";
import type { Logger } from "pino";

export type TaskDeps = {
  db: Database;
  identity: IdentitySettings;
  /** Secrets are opened only here, in worker memory, at the moment of use. */
  masterKeys: MasterKeys;
  log: Logger;
  workerId: string;
};

/** Which try this is: a handler records a final failure itself rather than leave work "running". */
export type JobAttempt = { attempt: number; maxAttempts: number };
