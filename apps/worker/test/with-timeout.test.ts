import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { withTimeout } from "../src/ssh/with-timeout";

describe("withTimeout", () => {
  it("resolves in time without discarding anything", async () => {
    const stream = new PassThrough();
    const discarded: PassThrough[] = [];
    const value = await withTimeout(Promise.resolve(stream), 50, (late) => discarded.push(late));
    expect(value).toBe(stream);
    expect(discarded).toEqual([]);
  });

  it("times out, then hands a late value to discardLate so it can be closed", async () => {
    const late = new PassThrough();
    const arrivesLate = new Promise<PassThrough>((r) => setTimeout(() => r(late), 120));
    await expect(withTimeout(arrivesLate, 30, (s) => s.destroy())).rejects.toMatchObject({ code: "ETIMEDOUT" });
    expect(late.destroyed).toBe(false);
    await arrivesLate;
    expect(late.destroyed).toBe(true);
  });

  it("passes a rejection through", async () => {
    await expect(withTimeout(Promise.reject(new Error("refused")), 50, () => {})).rejects.toThrow("refused");
  });
});
