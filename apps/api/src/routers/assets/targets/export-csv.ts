import { assetsTargetSchemas as s, exportTargetsCsv } from "@ops/domain";
import { can } from "../../../trpc";

export const exportCsv = can("targets.read")
  .input(s.exportCsvInput)
  .output(s.exportCsvResult)
  .query(({ ctx, input }) => exportTargetsCsv({ ctx, input }));
