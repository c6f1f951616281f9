import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { createTemplateDatabase, dropDatabase, startEmbeddedPostgres, withDatabase, type EmbeddedDatabase } from "../../packages/db/src/index";

/// <reference path="./provided.d.ts" />
/**
 * Real Postgres for every test: DATABASE_URL's server when set (CI), else an embedded
 * one. Migrates one template database; each test file clones it (helpers/harness.ts).
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedDatabase | null = null;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dataDir = resolve(".tmp/test-postgres");
    mkdirSync(dataDir, { recursive: true });
    embedded = await startEmbeddedPostgres({ dataDir, port: 54400, password: "test" });
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
  };
}
