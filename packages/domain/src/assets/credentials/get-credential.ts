import type { VerbArgs } from "../../context";
import type { CredentialView } from "../../schemas/assets-credentials";
import { loadCredentialView } from "./credential-view";

export function getCredential({ ctx, input }: VerbArgs<{ id: string }>): Promise<CredentialView> {
  return loadCredentialView(ctx.services.db, input.id);
}
