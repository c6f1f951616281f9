import { assetsCredentialSchemas as s, listCredentials, pageOf } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("credentials.read")
  .input(s.listCredentialsInput)
  .output(pageOf(s.credentialView))
  .query(({ ctx, input }) => listCredentials({ ctx, input }));
