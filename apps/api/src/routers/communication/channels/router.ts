import { router } from "../../../trpc";
import { create } from "./create";
import { del } from "./delete";
import { get } from "./get";
import { list } from "./list";
import { test } from "./test";
import { update } from "./update";

export const channelsRouter = router({ list, get, create, update, delete: del, test });
