import { router } from "../../../trpc";
import { changePassword } from "./change-password";
import { update } from "./update";

export const profileRouter = router({ update, changePassword });
