import { router } from "../../../trpc";
import { catalogue } from "./catalogue";
import { create } from "./create";
import { remove } from "./delete";
import { get } from "./get";
import { list } from "./list";
import { update } from "./update";

export const rolesRouter = router({ list, get, catalogue, create, update, delete: remove });
