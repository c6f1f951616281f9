import { router } from "../../../trpc";
import { exec } from "./exec";
import { get } from "./get";
import { hosts } from "./hosts";
import { launch } from "./launch";
import { list } from "./list";
import { output } from "./output";
import { preview } from "./preview";

export const runsRouter = router({ exec, get, output, launch, preview, list, hosts });
