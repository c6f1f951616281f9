export * from "./audit-log";
export * from "./events";
