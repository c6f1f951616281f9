import type { DomainContext, VerbArgs } from "../../context";
import type { ImportInput, ImportPreview } from "../../schemas/assets-targets";
import { can } from "../../permissions";
import { planImport } from "./plan-import";

/** Checks every row and reports each problem by line; writes nothing. */
export async function previewImport({ ctx, input }: VerbArgs<ImportInput>): Promise<ImportPreview> {
  return (await planImport(ctx.services.db, input, credentialAccess(ctx))).preview;
}

export function credentialAccess(ctx: DomainContext) {
  return { read: can(ctx.principal, "credentials.read"), use: can(ctx.principal, "credentials.use") };
}
