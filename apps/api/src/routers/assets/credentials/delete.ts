import { assetsCredentialSchemas as s, deleteCredential } from "@ops/domain";
import { can } from "../../../trpc";

export const remove = can("credentials.manage")
  .input(s.deleteCredentialInput)
  .output(s.deleteCredentialResult)
  .mutation(({ ctx, input }) => deleteCredential({ ctx, input }));
