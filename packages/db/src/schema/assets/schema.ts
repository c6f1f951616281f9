import { pgSchema } from "drizzle-orm/pg-core";

export const assets = pgSchema("assets");

export const TARGET_STATUSES = ["unknown", "reachable", "unreachable", "auth_failed", "host_key_changed"] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];
export const OS_FAMILIES = ["linux", "bsd", "macos", "windows", "network", "other", "unknown"] as const;
export const CREDENTIAL_KINDS = ["ssh_key", "ssh_password", "become_password", "generic_secret"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
