import { router } from "../../../trpc";
import { create } from "./create";
import { remove } from "./delete";
import { diff } from "./diff";
import { get } from "./get";
import { list } from "./list";
import { update } from "./update";
import { validate } from "./validate";
import { versions } from "./versions";

export const jobsRouter = router({ list, get, create, update, delete: remove, versions, diff, validate });
