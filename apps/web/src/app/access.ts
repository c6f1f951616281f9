import type { Permission } from "@ops/domain/permissions";
import type { Me } from "@ops/domain/schemas/identity";

export function allows(me: Pick<Me, "permissions"> | undefined, permission: Permission): boolean {
  return !!me?.permissions.includes(permission);
}
