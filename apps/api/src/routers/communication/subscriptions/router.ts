import { router } from "../../../trpc";
import { create } from "./create";
import { del } from "./delete";
import { list } from "./list";
import { update } from "./update";

/** Personal subscriptions: the caller's own rules (profile page). */
export const subscriptionsRouter = router({ list, create, update, delete: del });
