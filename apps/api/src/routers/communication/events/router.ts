import { router } from "../../../trpc";
import { catalogue } from "./catalogue";
import { onEvent } from "./on-event";

export const eventsRouter = router({ catalogue, onEvent });
