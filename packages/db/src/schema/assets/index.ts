export * from "./schema";
export * from "./credentials";
export * from "./targets";
export * from "./connection-tests";
export * from "./discovery";
