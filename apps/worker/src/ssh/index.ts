export * from "./connect";
export * from "./exec";
export * from "./facts";
export * from "./failure";
export * from "./handshake-limiter";
export * from "./host-key";
export * from "./key-cache";
export * from "./pool";
