export * from "./workers";
export * from "./jobs";
