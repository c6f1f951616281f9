export type { AppRouter } from "./routers/root";
export { appRouter } from "./routers/root";
export { createApp } from "./http/app";
export { startServer } from "./server";
export { loadConfig } from "./config";
export { createLogger } from "./logger";
export { createServices } from "./services";
export { createInnerContext, createCallerFactory } from "./trpc";
