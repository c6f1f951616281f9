import { assetsTargetSchemas as s, previewImport } from "@ops/domain";
import { can } from "../../../trpc";

export const importPreview = can("targets.manage")
  .input(s.importInput)
  .output(s.importPreview)
  .mutation(({ ctx, input }) => previewImport({ ctx, input }));
