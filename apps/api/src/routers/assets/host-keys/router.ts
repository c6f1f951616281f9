import { router } from "../../../trpc";
import { accept } from "./accept";
import { forget } from "./forget";

/** Host-key trust: a changed key is refused everywhere until one of these is used. */
export const hostKeysRouter = router({ accept, forget });
