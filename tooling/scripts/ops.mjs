#!/usr/bin/env node
// The README's two commands, on a machine with only Node.js and npm:
//   npm start  -> install, build the dashboard and the server bundle, run API + worker +
//                 dashboard (embedded Postgres unless DATABASE_URL)
//   npm test   -> install, build the dashboard and the bundles, run every test
// pnpm comes from the npm registry through npx (corepack cannot verify it here).
// A restart skips what has not changed: the install when the lockfile and manifests
// are those of the last install, a build when its output is newer than its sources.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureServerBundles, newestMtime } from "./build-server.mjs";

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

/** What `pnpm install --frozen-lockfile` installs from: the lockfile and every manifest. */
function installInputs() {
  const files = ["pnpm-lock.yaml", "pnpm-workspace.yaml", "package.json"];
  for (const group of ["apps", "packages", "bench"]) {
    const dir = join(root, group);
    if (existsSync(join(dir, "package.json"))) files.push(`${group}/package.json`);
    else if (existsSync(dir))
      for (const name of readdirSync(dir).sort())
        if (existsSync(join(dir, name, "package.json"))) files.push(`${group}/${name}/package.json`);
  }
  const hash = createHash("sha256");
  for (const f of files)
    hash
      .update(`${f}\0`)
      .update(readFileSync(join(root, f)))
      .update("\0");
  return hash.digest("hex");
}

function install() {
  // Written after a successful install; node_modules/.modules.yaml is pnpm's own "installed".
  const stamp = join(root, "node_modules/.ops-install");
  const inputs = installInputs();
  const installed = existsSync(join(root, "node_modules/.modules.yaml")) && existsSync(stamp);
  if (installed && readFileSync(stamp, "utf8").trim() === inputs) return;
  const quiet = process.env.CI ? [] : ["--reporter=append-only"];
  run("npx", [...PNPM, "install", "--frozen-lockfile", "--prefer-offline", ...quiet]);
  writeFileSync(stamp, inputs + "\n");
}

function buildWeb() {
  const index = join(root, "apps/web/dist/index.html");
  // The dashboard imports the domain's browser-safe schemas, so those count as its sources.
  const sources = ["apps/web/src", "apps/web/index.html", "apps/web/vite.config.ts", "packages/domain/src", "pnpm-lock.yaml"];
  const built = statSync(index, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (!built || sources.some((s) => newestMtime(join(root, s)) > built)) run("npx", [...PNPM, "--filter", "@ops/web", "build"]);
}

async function buildServer() {
  if (await ensureServerBundles()) console.log("built the server bundles");
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
  await buildServer();
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
  await buildServer();
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
