export * from "./run-worker";
export * from "./heartbeat";
export { tasks, type TaskIdentifier } from "./tasks/registry";
