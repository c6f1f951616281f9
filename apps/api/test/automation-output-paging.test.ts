import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFinishedRun, fixtureLine } from "./helpers/run-fixture";
import { startTestApp, type TestApp } from "./helpers/harness";

/**
 * Reading a big run's output the way the run page does (issue 7): its tail first
 * (`beforeSeq`), older pages back from there, any page by position (`position`, with the
 * host and step filters counted over the whole run), and where each page stands.
 * The run is written in the engine's chunk format straight into the database.
 */
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let runId: string;
const HOSTS = 3;
const PER_HOST = 2_000;
const CHUNK = 50;
const TOTAL = HOSTS * PER_HOST;
const END = Number.MAX_SAFE_INTEGER;
/** The seq of host `h`'s line `n` (1-based), as the fixture lays the chunks out. */
const seqOf = (h: number, n: number) => (Math.floor((n - 1) / CHUNK) * HOSTS + h) * CHUNK + ((n - 1) % CHUNK) + 1;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  ({ runId } = await createFinishedRun(app.db, { hosts: HOSTS, linesPerHost: PER_HOST, chunk: CHUNK, prefix: "p" }));
}, 120_000);
afterAll(() => app?.close());

describe("run output paging", () => {
  it("reads the tail first: the last lines, in order, their position, and that nothing follows", async () => {
    const tail = await admin.automation.runs.output({ runId, beforeSeq: END, limit: 120 });
    expect(tail.lines.map((l) => l.seq)).toEqual(Array.from({ length: 120 }, (_, i) => TOTAL - 119 + i));
    expect(tail.lines.at(-1)!.text).toBe(fixtureLine("p", HOSTS - 1, PER_HOST));
    expect(tail).toMatchObject({ position: TOTAL - 120, lastSeq: TOTAL, complete: true });
  });

  it("pages back from a sequence number without a gap or a repeat, across chunk edges", async () => {
    const seen: number[] = [];
    let before = END;
    for (let i = 0; i < 5; i++) {
      const page = await admin.automation.runs.output({ runId, beforeSeq: before, limit: 73 });
      expect(page.position).toBe(page.lines[0]!.seq - 1);
      seen.unshift(...page.lines.map((l) => l.seq));
      before = page.lines[0]!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 5 * 73 }, (_, i) => TOTAL - 5 * 73 + 1 + i));
    // The first lines of the run: a short page, then nothing before them.
    const head = await admin.automation.runs.output({ runId, beforeSeq: 3, limit: 10 });
    expect(head.lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(head.position).toBe(0);
    expect((await admin.automation.runs.output({ runId, beforeSeq: 1, limit: 10 })).lines).toEqual([]);
  });

  it("reads one host's tail and pages back over that host's lines only", async () => {
    const tail = await admin.automation.runs.output({ runId, ordinal: 1, beforeSeq: END, limit: 60 });
    expect(tail.lines.map((l) => l.text)).toEqual(Array.from({ length: 60 }, (_, i) => fixtureLine("p", 1, PER_HOST - 59 + i)));
    expect(tail.position).toBe(PER_HOST - 60);
    const before = await admin.automation.runs.output({ runId, ordinal: 1, beforeSeq: tail.lines[0]!.seq, limit: 30 });
    expect(before.lines.map((l) => l.text)).toEqual(Array.from({ length: 30 }, (_, i) => fixtureLine("p", 1, PER_HOST - 89 + i)));
    expect(before.position).toBe(PER_HOST - 90);
  });

  it("reads by position: the run's n-th line, and a host's n-th line, with the position echoed", async () => {
    const middle = await admin.automation.runs.output({ runId, position: 3_000, limit: 5 });
    expect(middle.lines.map((l) => l.seq)).toEqual([3001, 3002, 3003, 3004, 3005]);
    expect(middle.position).toBe(3_000);
    // Host 2's line 1,234 (0-based position 1,233), read across its chunk boundary.
    const host = await admin.automation.runs.output({ runId, ordinal: 2, position: 1_233, limit: 20 });
    expect(host.lines.map((l) => l.text)).toEqual(Array.from({ length: 20 }, (_, i) => fixtureLine("p", 2, 1_234 + i)));
    expect(host.lines[0]!.seq).toBe(seqOf(2, 1_234));
    expect(host.position).toBe(1_233);
    // The step filter keeps every line here (one step): the same positions as the whole run.
    const step = await admin.automation.runs.output({ runId, stepId: "command", position: 10, limit: 2 });
    expect(step.lines.map((l) => l.seq)).toEqual([11, 12]);
    expect((await admin.automation.runs.output({ runId, stepId: "no-such-step", position: 0 })).lines).toEqual([]);
    // Past the end: no lines, and reading on from there finds nothing either.
    const past = await admin.automation.runs.output({ runId, ordinal: 0, position: PER_HOST, limit: 10 });
    expect(past.lines).toEqual([]);
    expect(past.complete).toBe(true);
  });

  it("gives a forward read's position for the host filter, so a search hit can be shown in place", async () => {
    const found = await admin.automation.runs.output({ runId, ordinal: 1, query: "p-1 line 777:" });
    expect(found.lines.map((l) => l.seq)).toEqual([seqOf(1, 777)]);
    expect(found.position).toBeUndefined();
    const at = await admin.automation.runs.output({ runId, ordinal: 1, afterSeq: found.lines[0]!.seq - 1, limit: 3 });
    expect(at.lines[0]!.seq).toBe(seqOf(1, 777));
    expect(at.position).toBe(776);
  });

  it("searches within one step, and refuses a search combined with beforeSeq or position, naming the field", async () => {
    const inStep = await admin.automation.runs.output({ runId, stepId: "command", query: "p-0 line 5:" });
    expect(inStep.lines.map((l) => l.text)).toEqual([fixtureLine("p", 0, 5)]);
    expect((await admin.automation.runs.output({ runId, stepId: "other", query: "p-0 line 5:" })).lines).toEqual([]);
    await expect(admin.automation.runs.output({ runId, query: "line", beforeSeq: 10 })).rejects.toThrow(/query/);
    await expect(admin.automation.runs.output({ runId, position: 1, beforeSeq: 10 })).rejects.toThrow(/position/);
  });

  it("downloads the lines shown: one host's lines containing a text, or one step's, prefixed by host", async () => {
    const { cookie } = await app.login(app.admin.email, app.admin.password);
    const get = (query: string) => fetch(`${app.url}/api/runs/${runId}/output.txt?${query}`, { headers: { cookie } });
    const found = await get(`ordinal=1&q=${encodeURIComponent("line 777:")}`);
    expect(found.status).toBe(200);
    expect(await found.text()).toBe(`${fixtureLine("p", 1, 777)}\n`);
    const all = await get(`q=${encodeURIComponent("line 1999:")}`);
    expect((await all.text()).split("\n").filter(Boolean)).toEqual([0, 1, 2].map((h) => `[p-${h}] ${fixtureLine("p", h, 1999)}`));
    expect(await (await get("step=other")).text()).toBe("");
  });

  it("still reads forwards from afterSeq as before (SDK, CLI and downloads)", async () => {
    const page = await admin.automation.runs.output({ runId, afterSeq: 10, limit: 3 });
    expect(page.lines.map((l) => l.seq)).toEqual([11, 12, 13]);
    expect(page.lastSeq).toBe(13);
    expect(page.complete).toBe(false);
  });
});
