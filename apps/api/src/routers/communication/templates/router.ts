import { router } from "../../../trpc";
import { create } from "./create";
import { defaultTemplate } from "./default";
import { del } from "./delete";
import { get } from "./get";
import { list } from "./list";
import { preview } from "./preview";
import { update } from "./update";

export const templatesRouter = router({ list, get, create, update, delete: del, preview, default: defaultTemplate });
