// Notifications (issue 8): the verbs the API calls; the dispatcher and senders live in the worker.
export * from "./notifications/notification-view";
export * from "./notifications/list-notifications";
export * from "./notifications/mark-read";
export * from "./notifications/notifications-since";
export * from "./events/event-catalogue";
export * from "./events/event-visibility";
export * from "./channels/channel-view";
export * from "./channels/check-channel";
export * from "./channels/save-channel";
export * from "./channels/delete-channel";
export * from "./channels/list-channels";
export * from "./channels/test-channel";
export * from "./templates/template-view";
export * from "./templates/check-template";
export * from "./templates/save-template";
export * from "./templates/list-templates";
