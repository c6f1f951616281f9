import { router } from "../../../trpc";
import { list } from "./list";
import { revoke } from "./revoke";
import { revokeAll } from "./revoke-all";

export const sessionsRouter = router({ list, revoke, revokeAll });
