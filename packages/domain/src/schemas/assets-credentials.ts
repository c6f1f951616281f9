import { z } from "zod";
import type { CredentialKind } from "@ops/db";
import { isoDate, pageInput, uuid } from "./common";

/** Mirrors the database's CREDENTIAL_KINDS without bundling drizzle into the web app. */
export const CREDENTIAL_KIND_VALUES = [
  "ssh_key",
  "ssh_password",
  "become_password",
  "generic_secret",
] as const satisfies readonly CredentialKind[];
export const credentialKind = z.enum(CREDENTIAL_KIND_VALUES);
export type CredentialKindValue = z.infer<typeof credentialKind>;

export const CREDENTIAL_KIND_LABELS: Record<CredentialKindValue, string> = {
  ssh_key: "SSH private key",
  ssh_password: "SSH password",
  become_password: "Become (sudo) password",
  generic_secret: "Generic secret",
};

/** Kinds that sign in to a host, so they need the user name to sign in as. */
export const KINDS_NEEDING_USERNAME: readonly CredentialKindValue[] = ["ssh_key", "ssh_password"];

/** What anyone with credentials.read sees: metadata only, never the secret or the passphrase. */
export const credentialView = z.object({
  id: z.string(),
  name: z.string(),
  kind: credentialKind,
  username: z.string(),
  description: z.string(),
  /** For ssh_key: e.g. "ssh-ed25519" and "SHA256:..." (as `ssh-keygen -lf` prints it). */
  publicKeyType: z.string().nullable(),
  publicKeyFingerprint: z.string().nullable(),
  hasPassphrase: z.boolean(),
  /** Targets naming it as their credential or become credential. */
  targetCount: z.number().int(),
  createdBy: z.object({ id: z.string(), displayName: z.string() }).nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
  lastUsedAt: isoDate.nullable(),
});
export type CredentialView = z.infer<typeof credentialView>;

export const listCredentialsInput = pageInput.extend({
  search: z.string().trim().max(200).optional(),
  kind: credentialKind.optional(),
});

const name = z.string().trim().min(1, "Enter a name").max(100);
const username = z.string().trim().max(100);
const description = z.string().trim().max(1000);
/** Keys are a few KB; 64 KB leaves room for 16k-bit RSA and PuTTY files. */
const secret = z.string().max(65_536, "At most 64 KB");
const passphrase = z.string().max(1024);

export const createCredentialInput = z
  .object({
    name,
    kind: credentialKind,
    username: username.default(""),
    description: description.default(""),
    secret: secret.refine((s) => s.trim().length > 0, "Enter the secret"),
    /** Only for ssh_key, and only when the key is encrypted. */
    passphrase: passphrase.optional(),
  })
  .refine((v) => !KINDS_NEEDING_USERNAME.includes(v.kind) || v.username.length > 0, {
    message: "Enter the user name to sign in as",
    path: ["username"],
  })
  .refine((v) => v.kind === "ssh_key" || !v.passphrase, { message: "Only an SSH key has a passphrase", path: ["passphrase"] });

/**
 * Fields left out keep their value. `secret` empty or absent keeps the stored secret (and
 * passphrase); a new secret replaces both, so a new key comes with its own passphrase.
 * The kind cannot change: make a new credential instead.
 */
export const updateCredentialInput = z.object({
  id: uuid,
  name: name.optional(),
  username: username.optional(),
  description: description.optional(),
  secret: secret.optional(),
  passphrase: passphrase.optional(),
  /**
   * The view's `updatedAt` when the form opened: if the credential was saved since, the
   * update is refused with CONFLICT and nothing is written (CONTRACTS C1).
   */
  expectedUpdatedAt: z.iso.datetime({ offset: true, message: "Must be a date and time (ISO 8601)" }).optional(),
});

export const credentialIdInput = z.object({ id: uuid });

/**
 * Deleting a credential targets use (CONTRACTS C3): without `reassignTo` it is refused,
 * saying how many; with an id those targets switch to that credential (needs
 * credentials.use); with null they are left with no credential.
 */
export const deleteCredentialInput = z.object({ id: uuid, reassignTo: uuid.nullable().optional() });
export const deleteCredentialResult = z.object({
  id: z.string(),
  /** Targets switched to `reassignTo` or left without a credential. */
  targetsChanged: z.number().int().optional(),
});
