import { assetsCredentialSchemas as s, getCredential } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("credentials.read")
  .input(s.credentialIdInput)
  .output(s.credentialView)
  .query(({ ctx, input }) => getCredential({ ctx, input }));
