import type { Database } from "@ops/db";
import type { IdentitySettings } from "@ops/domain";
import type { Logger } from "pino";

export type TaskDeps = { db: Database; identity: IdentitySettings; log: Logger; workerId: string };
