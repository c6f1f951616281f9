import { assetsCredentialSchemas as s, createCredential } from "@ops/domain";
import { can } from "../../../trpc";

export const create = can("credentials.manage")
  .input(s.createCredentialInput)
  .output(s.credentialView)
  .mutation(({ ctx, input }) => createCredential({ ctx, input }));
