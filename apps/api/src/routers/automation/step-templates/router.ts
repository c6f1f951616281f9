import { router } from "../../../trpc";
import { create } from "./create";
import { remove } from "./delete";
import { get } from "./get";
import { list } from "./list";
import { update } from "./update";

/** automation.stepTemplates: the step library (user-defined step templates, versioned). */
export const stepTemplatesRouter = router({ list, get, create, update, delete: remove });
