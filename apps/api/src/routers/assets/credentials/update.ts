import { assetsCredentialSchemas as s, updateCredential } from "@ops/domain";
import { can } from "../../../trpc";

export const update = can("credentials.manage")
  .input(s.updateCredentialInput)
  .output(s.credentialView)
  .mutation(({ ctx, input }) => updateCredential({ ctx, input }));
