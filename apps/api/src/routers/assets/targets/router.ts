import { router } from "../../../trpc";
import { addRelationship } from "./add-relationship";
import { bulk } from "./bulk";
import { create } from "./create";
import { remove } from "./delete";
import { exportCsv } from "./export-csv";
import { get } from "./get";
import { importCommit } from "./import-commit";
import { importPreview } from "./import-preview";
import { list } from "./list";
import { removeRelationship } from "./remove-relationship";
import { update } from "./update";

export const targetsRouter = router({
  list,
  get,
  create,
  update,
  delete: remove,
  bulk,
  addRelationship,
  removeRelationship,
  importPreview,
  importCommit,
  exportCsv,
});
