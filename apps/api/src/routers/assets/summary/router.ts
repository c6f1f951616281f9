import { router } from "../../../trpc";
import { get } from "./get";

/** The home page's counts and recent activity. */
export const summaryRouter = router({ get });
