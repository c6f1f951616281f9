#!/usr/bin/env node
// The README's two commands, on a machine with only Node.js and npm:
//   npm start  -> install, build the dashboard and the server bundle, run API + worker +
//                 dashboard (embedded Postgres unless DATABASE_URL)
//   npm test   -> install, build the dashboard, run every test
// pnpm comes from the npm registry through npx (corepack cannot verify it here).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PNPM = ["-y", "pnpm@10.34.8"];
const command = process.argv[2];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function install() {
  const quiet = process.env.CI ? [] : ["--reporter=append-only"];
  run("npx", [...PNPM, "install", "--frozen-lockfile", "--prefer-offline", ...quiet]);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function buildWeb() {
  const web = join(root, "apps/web");
  const index = join(web, "dist/index.html");
  const stale = !existsSync(index) || newestMtime(join(web, "src")) > statSync(index).mtimeMs;
  if (stale) run("npx", [...PNPM, "--filter", "@ops/web", "build"]);
}

function buildServer() {
  const bundle = join(root, "apps/api/dist/main.mjs");
  const sources = ["apps/api/src", "apps/worker/src", "packages/db/src", "packages/domain/src", "packages/db/migrations"];
  const newest = Math.max(...sources.map((d) => newestMtime(join(root, d))));
  if (!existsSync(bundle) || newest > statSync(bundle).mtimeMs) run(process.execPath, ["tooling/scripts/build-server.mjs"]);
}

/**
 * Tests drive real OpenSSH daemons and Debian's Chromium. As root with apt (a fresh
 * Debian machine, CI), missing packages are installed; otherwise one line says what to
 * install, and the tests that need them fail naming it.
 */
function systemPackages() {
  const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
  const missing = [];
  if (!existsSync("/usr/sbin/sshd")) missing.push("openssh-server");
  if (!has("chromium")) missing.push("chromium");
  if (!has("sudo")) missing.push("sudo");
  if (missing.length === 0) return;
  if (process.getuid?.() === 0 && has("apt-get")) {
    console.log(`installing ${missing.join(", ")} (Debian packages) for the SSH and dashboard tests`);
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return;
  }
  console.warn(`note: ${missing.join(", ")} not installed: the SSH and dashboard tests need them (apt-get install ${missing.join(" ")})`);
}

if (command === "start") {
  install();
  buildWeb();
  buildServer();
  const child = spawn(process.execPath, ["--enable-source-maps", "apps/api/dist/main.mjs", ...process.argv.slice(3)], {
    cwd: root,
    stdio: "inherit",
  });
  // The child owns shutdown (it stops its embedded Postgres); pass signals through. The
  // npm scripts `exec` this file, so a SIGTERM sent to npm arrives here, not at a shell.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else if (command === "test") {
  systemPackages();
  install();
  buildWeb();
  mkdirSync(join(root, ".tmp"), { recursive: true });
  const report = join(root, ".tmp/vitest.json");
  const r = spawnSync(
    process.execPath,
    [
      "node_modules/vitest/vitest.mjs",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
      ...process.argv.slice(3),
    ],
    { cwd: root, stdio: "inherit" },
  );
  if (existsSync(report)) {
    const j = JSON.parse(readFileSync(report, "utf8"));
    const skipped = j.numPendingTests + j.numTodoTests;
    console.log(`\ntests: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
    if (j.numTotalTests === 0) {
      console.error("no test ran");
      process.exit(1);
    }
    if (j.numFailedTests > 0 || j.numFailedTestSuites > 0) process.exit(1);
  }
  process.exit(r.status ?? 1);
} else {
  console.error("usage: node tooling/scripts/ops.mjs start|test");
  process.exit(2);
}
