import { router } from "../../../trpc";
import { create } from "./create";
import { disable } from "./disable";
import { enable } from "./enable";
import { get } from "./get";
import { list } from "./list";
import { setRoles } from "./set-roles";
import { update } from "./update";

export const usersRouter = router({ list, get, create, update, disable, enable, setRoles });
