import { router } from "../../../trpc";
import { exec } from "./exec";
import { get } from "./get";
import { output } from "./output";
import { onOutput } from "./on-output";
import { onProgress } from "./on-progress";

export const runsRouter = router({ exec, get, output, onOutput, onProgress });
