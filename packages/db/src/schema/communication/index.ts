export * from "./audit-log";
export * from "./events";
export * from "./outbound-networks";
export * from "./notifications";
