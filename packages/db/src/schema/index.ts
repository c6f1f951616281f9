export * from "./identity";
export * from "./communication";
export * from "./assets";
export * from "./automation";
