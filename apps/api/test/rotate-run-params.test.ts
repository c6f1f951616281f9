import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { runs } from "@ops/db";
import { openRunParams, parseMasterKeys, rotateMasterKey, systemContext } from "@ops/domain";
import { startTestApp, type TestApp } from "./helpers/harness";

/**
 * Master key rotation reaches the secret launch values sealed into runs (issue 7 leftover):
 * after rotating to v2 and dropping v1, a rerun or resume still opens them.
 */
let app: TestApp;
const SECRET = "launch-Secret-7Qz";

beforeAll(async () => {
  app = await startTestApp();
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe("master key rotation and runs", () => {
  it("re-seals secret launch values under the new key, bound to their run, and refuses to retire the old key before", async () => {
    const admin = await app.adminCaller();
    const { job } = await admin.automation.jobs.create({
      name: "rotate params",
      params: [{ name: "token", type: "secret" }],
      selector: { mode: "labels", expression: "nothing=matches" },
      workflow: { steps: [{ id: "pause", name: "pause", kind: "wait", config: { seconds: 0 } }] },
    } as Parameters<typeof admin.automation.jobs.create>[0]);
    const { runId } = await admin.automation.runs.launch({ jobId: job.id, params: { token: SECRET } });
    const before = (await app.db.select({ params: runs.params }).from(runs).where(eq(runs.id, runId)))[0]!.params;
    expect(JSON.stringify(before)).not.toContain(SECRET);
    expect((before.token as { $sealed: string }).$sealed).toMatch(/^v1:/);

    const v2Key = randomBytes(32).toString("base64");
    const both = parseMasterKeys(`${app.config.OPS_MASTER_KEY!},2:${v2Key}`);
    const v2Only = parseMasterKeys(`2:${v2Key}`);
    // The run's value still needs v1: dropping it now would strand the run.
    await expect(rotateMasterKey({ db: app.db, masterKeys: v2Only, retire: [1] })).rejects.toThrow(/version 1/);

    const report = await rotateMasterKey({ db: app.db, masterKeys: both, batchSize: 1 });
    expect(report).toMatchObject({ current: 2, runParamsResealed: 1, removable: [1] });
    expect(Object.keys(report.remaining)).toEqual(["2"]);
    const after = (await app.db.select({ params: runs.params }).from(runs).where(eq(runs.id, runId)))[0]!.params;
    expect((after.token as { $sealed: string }).$sealed).toMatch(/^v2:/);

    const opened = await openRunParams({ ctx: systemContext({ ...app.services, masterKeys: v2Only }, "test"), input: { runId } });
    expect(opened.params.token).toBe(SECRET);
    expect(opened.secrets).toEqual([SECRET]);
    // Nothing left to do the second time.
    expect((await rotateMasterKey({ db: app.db, masterKeys: both, retire: [1] })).runParamsResealed).toBe(0);
  });
});
