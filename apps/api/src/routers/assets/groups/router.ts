import { router } from "../../../trpc";
import { addTargets } from "./add-targets";
import { create } from "./create";
import { remove } from "./delete";
import { list } from "./list";
import { setMembers } from "./set-members";
import { update } from "./update";

export const groupsRouter = router({ list, create, update, delete: remove, setMembers, addTargets });
