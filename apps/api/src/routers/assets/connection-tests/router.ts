import { router } from "../../../trpc";
import { getBatch } from "./get-batch";
import { listHistory } from "./list-history";
import { start } from "./start";

/** Connection tests run on the workers; these start them and report their progress. */
export const connectionTestsRouter = router({ start, getBatch, listHistory });
