export * from "./workers";
export * from "./jobs";
export * from "./runs";
