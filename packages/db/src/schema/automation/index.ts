export * from "./workers";
