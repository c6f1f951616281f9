import { router } from "../../../trpc";
import { list } from "./list";
import { markRead } from "./mark-read";
import { onNotification } from "./on-notification";

/** The in-app bell: always the caller's own notifications. */
export const notificationsRouter = router({ list, markRead, onNotification });
