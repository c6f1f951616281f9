export * from "./workers";
export * from "./jobs";
export * from "./runs";
export * from "./step-templates";
