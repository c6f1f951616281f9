import { router } from "../../../trpc";
import { cancel } from "./cancel";
import { exec } from "./exec";
import { get } from "./get";
import { hosts } from "./hosts";
import { launch } from "./launch";
import { list } from "./list";
import { onOutput } from "./on-output";
import { onProgress } from "./on-progress";
import { output } from "./output";
import { preview } from "./preview";
import { rerun } from "./rerun";
import { resume } from "./resume";

export const runsRouter = router({ exec, get, output, launch, preview, list, hosts, cancel, rerun, resume, onOutput, onProgress });
