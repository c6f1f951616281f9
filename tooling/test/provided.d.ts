// Values global-setup.ts provides to every test file through inject().
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    pgServerUrl: string;
    pgTemplate: string;
    redisUrl: string;
  }
}
