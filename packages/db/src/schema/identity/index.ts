export * from "./schema";
export * from "./users";
export * from "./sessions";
export * from "./api-tokens";
export * from "./roles";
export * from "./credentials";
