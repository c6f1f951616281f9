import { identitySchemas as s, roleCatalogue } from "@ops/domain";
import { can } from "../../../trpc";

export const catalogue = can("roles.read")
  .output(s.permissionCatalogue)
  .query(() => roleCatalogue());
