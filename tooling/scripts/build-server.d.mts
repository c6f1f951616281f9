// Types of build-server.mjs for the TypeScript that imports it (the test setup).
export function newestMtime(path: string): number;
export function serverBundlesStale(): boolean;
export function buildServerBundles(): Promise<void>;
export function ensureServerBundles(): Promise<boolean>;
