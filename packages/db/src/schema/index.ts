export * from "./identity";
export * from "./communication";
export * from "./automation";
