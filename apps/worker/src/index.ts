export * from "./run-worker";
export * from "./heartbeat";
export { tasks, type TaskIdentifier } from "./tasks/registry";
export { outputSettingsEnv, outputSettingsOf, type OutputSettings } from "./engine/output-settings";
export { eventsRetentionEnv } from "./notify/events-retention";
