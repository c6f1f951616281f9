import type { VerbArgs } from "../../context";
import type { ImportInput, ImportPreview } from "../../schemas/assets-targets";
import { planImport } from "./plan-import";

/** Checks every row and reports each problem by line; writes nothing. */
export async function previewImport({ ctx, input }: VerbArgs<ImportInput>): Promise<ImportPreview> {
  return (await planImport(ctx.services.db, input)).preview;
}
