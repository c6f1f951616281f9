import { z } from "zod";
import { ALL_PERMISSIONS, type Permission } from "../permissions";
import { isoDate, pageInput, uuid } from "./common";

export const email = z
  .email({ message: "Enter a valid email address" })
  .max(254)
  .transform((e) => e.trim().toLowerCase());
/** Policy beyond length (email, well-known) is checked by the domain, which knows the email. */
export const newPassword = z.string().min(12, "Password must be at least 12 characters").max(256);
export const permission = z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]]);
export const totpCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, "Enter the 6-digit code from your authenticator app");
export const recoveryCode = z.string().trim().min(8).max(32);
export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "Unknown time zone");

// auth
export const loginInput = z.object({
  email: z.string().trim().min(1, "Enter your email").max(254),
  password: z.string().min(1, "Enter your password").max(256),
  /** "cli" answers with the session token in the body instead of a cookie. */
  client: z.enum(["browser", "cli"]).default("browser"),
});
export const loginMfaInput = z.object({
  challenge: z.string().min(1).max(200),
  code: z.string().trim().min(6).max(32),
  client: z.enum(["browser", "cli"]).default("browser"),
});
export const loginResult = z.discriminatedUnion("status", [
  z.object({ status: z.literal("signed-in"), sessionToken: z.string().optional(), expiresAt: isoDate }),
  z.object({ status: z.literal("mfa-required"), challenge: z.string() }),
  z.object({ status: z.literal("mfa-enrolment-required"), sessionToken: z.string().optional(), expiresAt: isoDate }),
]);
export type LoginResult = z.infer<typeof loginResult>;

export const me = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  timeZone: z.string(),
  theme: z.enum(["light", "dark"]),
  mfaEnabled: z.boolean(),
  mfaRequired: z.boolean(),
  roles: z.array(z.object({ id: z.string(), name: z.string() })),
  permissions: z.array(permission),
  via: z.enum(["session", "token"]),
});
export type Me = z.infer<typeof me>;

// profile
export const updateProfileInput = z.object({
  displayName: z.string().trim().max(100).optional(),
  timeZone: timeZone.optional(),
  theme: z.enum(["light", "dark"]).optional(),
});
export const changePasswordInput = z.object({
  currentPassword: z.string().min(1, "Enter your current password").max(256),
  newPassword,
  /** API tokens are revoked with the old password unless this says to keep them. */
  keepTokens: z.boolean().default(false),
  /** "cli" answers the new session token in the body instead of a cookie. */
  client: z.enum(["browser", "cli"]).default("browser"),
});
export const completeSetupInput = z.object({ token: z.string().min(1).max(200), password: newPassword });
export const profileView = z.object({ displayName: z.string(), timeZone: z.string(), theme: z.enum(["light", "dark"]) });
export type ProfileView = z.infer<typeof profileView>;
export const changePasswordResult = z.object({
  otherSessionsEnded: z.number().int(),
  tokensRevoked: z.number().int(),
  /** The current session continues under a new id (a new cookie; the token for "cli"). */
  sessionToken: z.string().optional(),
  expiresAt: isoDate,
});

// setup links
export const setupTokenInput = z.object({ token: z.string().min(1).max(200) });
export const setupInspectResult = z.object({ email: z.string() });
export const completeSetupResult = z.object({ email: z.string() });

// sessions
export const sessionView = z.object({
  id: z.string(),
  current: z.boolean(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  browser: z.string(),
  createdAt: isoDate,
  lastSeenAt: isoDate,
  expiresAt: isoDate,
});
export type SessionView = z.infer<typeof sessionView>;
export const revokeSessionInput = z.object({ id: z.string().min(1).max(64) });
export const revokeSessionResult = z.object({ current: z.boolean() });
export const revokeAllSessionsResult = z.object({ ended: z.number().int() });

// MFA
export const mfaEnrolStart = z.object({ secret: z.string(), uri: z.string(), qrSvg: z.string() });
export const mfaEnrolConfirmInput = z.object({ code: totpCode });
export const mfaDisableInput = z.object({ password: z.string().min(1).max(256) });
export const mfaRegenerateRecoveryCodesInput = z.object({ password: z.string().min(1).max(256) });
/** Shown once; only their hashes are stored. */
export const mfaRecoveryCodesResult = z.object({ recoveryCodes: z.array(z.string()) });
export const mfaEnrolConfirmResult = mfaRecoveryCodesResult.extend({ otherSessionsEnded: z.number().int() });
export const mfaStatus = z.object({ enabled: z.boolean(), recoveryCodesLeft: z.number().int(), required: z.boolean() });
export const mfaDisableResult = z.object({ enabled: z.literal(false) });

// users
export const userView = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  disabled: z.boolean(),
  mfaEnabled: z.boolean(),
  roles: z.array(z.object({ id: z.string(), name: z.string() })),
  createdAt: isoDate,
  /** Sent back as `expectedUpdatedAt` by edit forms (CONTRACTS C1). */
  updatedAt: isoDate,
  pendingSetup: z.boolean(),
});
export type UserView = z.infer<typeof userView>;
export const listUsersInput = pageInput.extend({
  search: z.string().trim().max(200).optional(),
  status: z.enum(["all", "active", "disabled"]).default("all"),
});
export const createUserInput = z
  .object({
    email,
    displayName: z.string().trim().max(100).default(""),
    roleIds: z.array(uuid).max(50).default([]),
    /** Either an initial password, or a one-time setup link is generated. */
    mode: z.enum(["password", "setup-link"]),
    password: newPassword.optional(),
  })
  .refine((v) => v.mode !== "password" || !!v.password, { message: "Enter an initial password", path: ["password"] });
export const createUserResult = z.object({ user: userView, setupLink: z.string().optional() });
export const userIdInput = z.object({ id: uuid });
/** The `updatedAt` the edit form loaded: a row changed since then is not overwritten (C1). */
export const expectedUpdatedAt = z.iso.datetime({ offset: true, message: "Must be the updatedAt of the loaded view" });
export const setUserRolesInput = z.object({ id: uuid, roleIds: z.array(uuid).max(50), expectedUpdatedAt: expectedUpdatedAt.optional() });
export const updateUserInput = z.object({
  id: uuid,
  displayName: z.string().trim().max(100),
  expectedUpdatedAt: expectedUpdatedAt.optional(),
});

// roles
export const roleView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  builtin: z.boolean(),
  permissions: z.array(permission),
  requireMfa: z.boolean(),
  userCount: z.number().int(),
  updatedAt: isoDate,
});
export type RoleView = z.infer<typeof roleView>;
const roleName = z
  .string()
  .trim()
  .min(2, "At least 2 characters")
  .max(50)
  .regex(/^[a-z0-9][a-z0-9 _.-]*$/i, "Letters, digits, space, . _ -");
export const createRoleInput = z.object({
  name: roleName,
  description: z.string().trim().max(300).default(""),
  permissions: z.array(permission).max(200),
  requireMfa: z.boolean().default(false),
});
export const roleIdInput = z.object({ id: uuid });
export const roleList = z.array(roleView);
export const permissionCatalogue = z.array(
  z.object({ domain: z.string(), permissions: z.array(z.object({ permission, description: z.string() })) }),
);
export const updateRoleInput = z.object({
  id: uuid,
  name: roleName.optional(),
  description: z.string().trim().max(300).optional(),
  permissions: z.array(permission).max(200).optional(),
  requireMfa: z.boolean().optional(),
  expectedUpdatedAt: expectedUpdatedAt.optional(),
});

// API tokens
export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  permissions: z.array(permission),
  expiresAt: isoDate.nullable(),
  lastUsedAt: isoDate.nullable(),
  lastUsedIp: z.string().nullable(),
  revokedAt: isoDate.nullable(),
  createdAt: isoDate,
});
export type TokenView = z.infer<typeof tokenView>;
export const createTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token").max(100),
  permissions: z.array(permission).min(1, "Choose at least one permission").max(200),
  /** Days until expiry; null means never (discouraged; the UI defaults to 90). */
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
});
export const createTokenResult = z.object({ token: z.string(), view: tokenView });
export const tokenIdInput = z.object({ id: uuid });
export const tokenList = z.array(tokenView);
