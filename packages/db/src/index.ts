export * from "./client";
export * from "./migrate";
export * from "./embedded";
export * from "./template";
export * as schema from "./schema";
export * from "./schema";
