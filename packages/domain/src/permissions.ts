/**
 * The one permission catalogue. Every procedure names one of these (or declares itself
 * public); roles and API tokens carry subsets. Later domains already appear here so a
 * custom role made today keeps its meaning when their features land.
 */
export const PERMISSIONS = {
  // identity
  "users.read": "See users and their roles",
  "users.manage": "Create, edit, disable users and assign roles",
  "roles.read": "See roles and their permissions",
  "roles.manage": "Create, edit and delete custom roles",
  "sessions.manage": "See and end other users' sessions",
  // assets
  "targets.read": "See targets, groups and facts",
  "targets.manage": "Create, edit, import and delete targets and groups",
  "targets.test": "Run connection tests",
  "hostkeys.accept": "Accept a changed host key",
  "credentials.read": "See credential metadata (never the secret)",
  "credentials.manage": "Create, edit and delete credentials",
  "credentials.use": "Use a credential in a test or a job",
  "discovery.read": "See discovery scans and results",
  "discovery.run": "Start and cancel discovery scans, import results",
  "discovery.configure": "Set the networks discovery may scan",
  // automation
  "jobs.read": "See jobs and their workflows",
  "jobs.manage": "Create, edit and delete jobs",
  "runs.read": "See runs and their output",
  "runs.start": "Start, cancel and retry runs",
  "runs.approve": "Approve or reject approval steps",
  "schedules.read": "See schedules",
  "schedules.manage": "Create, edit and delete schedules",
  "webhooks.manage": "Create and revoke inbound webhook triggers",
  // communication
  "notifications.read": "See notification channels, rules and deliveries",
  "notifications.manage": "Create and edit notification channels, templates and rules",
  "audit.read": "Browse and verify the audit log",
  // platform
  "settings.manage": "Change platform settings",
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

export const PERMISSION_GROUPS: { domain: string; permissions: Permission[] }[] = [
  { domain: "identity", permissions: ["users.read", "users.manage", "roles.read", "roles.manage", "sessions.manage"] },
  {
    domain: "assets",
    permissions: [
      "targets.read",
      "targets.manage",
      "targets.test",
      "hostkeys.accept",
      "credentials.read",
      "credentials.manage",
      "credentials.use",
      "discovery.read",
      "discovery.run",
      "discovery.configure",
    ],
  },
  {
    domain: "automation",
    permissions: [
      "jobs.read",
      "jobs.manage",
      "runs.read",
      "runs.start",
      "runs.approve",
      "schedules.read",
      "schedules.manage",
      "webhooks.manage",
    ],
  },
  { domain: "communication", permissions: ["notifications.read", "notifications.manage", "audit.read"] },
  { domain: "platform", permissions: ["settings.manage"] },
];

const READ_ONLY = ALL_PERMISSIONS.filter((p) => p.endsWith(".read") && !["users.read", "roles.read", "audit.read"].includes(p));

export const BUILTIN_ROLES = {
  admin: { description: "Everything, including users, roles and the audit log", permissions: ALL_PERMISSIONS },
  operator: {
    description: "Runs the estate: targets, credentials, discovery, jobs, runs, schedules",
    permissions: [
      ...READ_ONLY,
      "targets.manage",
      "targets.test",
      "credentials.manage",
      "credentials.use",
      "discovery.run",
      "jobs.manage",
      "runs.start",
      "runs.approve",
      "schedules.manage",
      "webhooks.manage",
      "notifications.manage",
    ] as Permission[],
  },
  // Credential metadata (names, user names, fingerprints) is for those who run the estate.
  viewer: {
    description: "Reads inventory, jobs and runs; changes nothing",
    permissions: READ_ONLY.filter((p) => p !== "credentials.read"),
  },
} satisfies Record<string, { description: string; permissions: Permission[] }>;

export type BuiltinRole = keyof typeof BUILTIN_ROLES;

/**
 * Who is acting. `grants` is shaped for scoping: today every grant is global; the
 * assets domain will add grants limited to a group of targets.
 */
export type Principal = {
  userId: string;
  email: string;
  displayName: string;
  via: "session" | "token";
  sessionId?: string;
  tokenId?: string;
  grants: Grant[];
  /** What `identity.auth.me` shows, kept with the cached principal so `me` costs no query. */
  profile?: PrincipalProfile;
};
export type PrincipalProfile = {
  timeZone: string;
  theme: "light" | "dark";
  mfaEnabled: boolean;
  mfaRequired: boolean;
  roles: { id: string; name: string }[];
};
export type Grant = { permission: Permission; scope: { kind: "global" } | { kind: "targetGroup"; groupId: string } };

/** What a check is about; a targeted check may pass through a group-scoped grant. */
export type ResourceScope = { kind: "global" } | { kind: "target"; groupIds: string[] };

export function can(principal: Principal | null, permission: Permission, resource: ResourceScope = { kind: "global" }): boolean {
  if (!principal) return false;
  return principal.grants.some((g) => {
    if (g.permission !== permission) return false;
    if (g.scope.kind === "global") return true;
    return resource.kind === "target" && resource.groupIds.includes(g.scope.groupId);
  });
}

export function globalGrants(permissions: Iterable<string>): Grant[] {
  const seen = new Set<string>();
  const grants: Grant[] = [];
  for (const p of permissions) {
    if (!isPermission(p) || seen.has(p)) continue;
    seen.add(p);
    grants.push({ permission: p, scope: { kind: "global" } });
  }
  return grants;
}
