import { router } from "../../../trpc";
import { exec } from "./exec";
import { get } from "./get";
import { output } from "./output";

export const runsRouter = router({ exec, get, output });
