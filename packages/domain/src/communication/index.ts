// Notifications (issue 8): the verbs the API calls; the dispatcher and senders live in the worker.
export * from "./notifications/notification-view";
export * from "./notifications/list-notifications";
export * from "./notifications/mark-read";
export * from "./notifications/notifications-since";
export * from "./events/event-catalogue";
export * from "./events/event-visibility";
