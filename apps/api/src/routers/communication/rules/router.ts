import { router } from "../../../trpc";
import { create } from "./create";
import { del } from "./delete";
import { get } from "./get";
import { list } from "./list";
import { update } from "./update";

export const rulesRouter = router({ list, get, create, update, delete: del });
