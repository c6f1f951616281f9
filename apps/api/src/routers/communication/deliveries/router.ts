import { router } from "../../../trpc";
import { get } from "./get";
import { list } from "./list";
import { retry } from "./retry";

export const deliveriesRouter = router({ list, get, retry });
