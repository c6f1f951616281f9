import { router } from "../../../trpc";
import { complete } from "./complete";
import { inspect } from "./inspect";

export const setupRouter = router({ inspect, complete });
