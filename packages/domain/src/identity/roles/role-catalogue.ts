import { PERMISSION_GROUPS, PERMISSIONS, type Permission } from "../../permissions";

export type PermissionCatalogue = { domain: string; permissions: { permission: Permission; description: string }[] }[];

/** Every permission, grouped by domain, with the sentence the role editor shows. */
export function roleCatalogue(): PermissionCatalogue {
  return PERMISSION_GROUPS.map((g) => ({
    domain: g.domain,
    permissions: g.permissions.map((permission) => ({ permission, description: PERMISSIONS[permission] })),
  }));
}
