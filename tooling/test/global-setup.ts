import { mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureServerBundles } from "../scripts/build-server.mjs";
import {
  createTemplateDatabase,
  dropDatabase,
  startEmbeddedPostgres,
  withDatabase,
  type EmbeddedDatabase,
} from "../../packages/db/src/index";

import { freePort } from "./sshd";

/// <reference path="./provided.d.ts" />

/**
 * Real Postgres for every test: DATABASE_URL's server when set (CI), else an embedded
 * one of this run's own (own directory and port, so parallel runs never collide).
 * Migrates one template database; each test file clones it (helpers/harness.ts).
 * Builds the server and CLI bundles once when a source changed: tests that run the
 * real commands spawn those, never a TypeScript loader per process.
 */
export default async function setup(project: TestProject) {
  if (await ensureServerBundles()) console.log("built the server and CLI bundles");
  let embedded: EmbeddedDatabase | null = null;
  let embeddedDir: string | null = null;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embeddedDir = resolve(`.tmp/test-postgres-${process.pid}`);
    mkdirSync(embeddedDir, { recursive: true });
    embedded = await startEmbeddedPostgres({
      dataDir: embeddedDir,
      port: await freePort(),
      password: "test",
      throwaway: true,
      log: (line) => console.log(line), // as root from a private checkout: where Postgres went
    });
    serverUrl = withDatabase(embedded.url, "postgres");
  }
  const template = `ops_template_${process.pid}`;
  await createTemplateDatabase(serverUrl, template);
  project.provide("pgServerUrl", serverUrl);
  project.provide("pgTemplate", template);
  project.provide("redisUrl", process.env.REDIS_URL ?? "");
  return async () => {
    await dropDatabase(serverUrl, template).catch(() => {});
    await embedded?.stop();
    if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
    // A cluster placed outside the data directory (as root, see embedded.ts) goes too.
    if (embedded) rmSync(embedded.clusterDir, { recursive: true, force: true });
  };
}
