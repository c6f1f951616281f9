import { router } from "../../../trpc";
import { batch } from "./batch";
import { history } from "./history";
import { start } from "./start";

/** Connection tests run on the workers; these start them and report their progress. */
export const connectionTestsRouter = router({ start, batch, history });
