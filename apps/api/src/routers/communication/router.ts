import { router } from "../../trpc";

export const communicationRouter = router({});
