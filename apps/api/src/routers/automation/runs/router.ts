import { router } from "../../../trpc";
import { cancel } from "./cancel";
import { exec } from "./exec";
import { get } from "./get";
import { output } from "./output";
import { rerun } from "./rerun";
import { resume } from "./resume";

export const runsRouter = router({ exec, get, output, cancel, rerun, resume });
