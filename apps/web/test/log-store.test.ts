import type { OutputLine } from "@ops/domain/schemas/automation-runs";
import { describe, expect, it } from "vitest";
import { LogStore, PAGE } from "../src/routes/runs/log-store";

const line = (seq: number, ordinal = seq % 2, stepId = "s"): OutputLine => ({
  seq,
  ordinal,
  stepId,
  stream: "stdout",
  text: `line ${seq}`,
});
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i));
const shown = (store: LogStore, from = 0, to = store.total) =>
  Array.from({ length: to - from }, (_, i) => store.line(from + i)?.text ?? null);

describe("run page log store", () => {
  it("opens at the tail it was given and appends live lines after it, never one twice", () => {
    const store = new LogStore();
    store.putTail(995, lines(996, 1000), 1000);
    expect(store.total).toBe(1000);
    expect(shown(store, 995)).toEqual(["line 996", "line 997", "line 998", "line 999", "line 1000"]);
    store.append(lines(999, 1002)); // a live batch overlapping the tail
    expect(store.total).toBe(1002);
    expect(shown(store, 998)).toEqual(["line 999", "line 1000", "line 1001", "line 1002"]);
    // Nothing is held before the tail: those rows are pages to read.
    expect(store.line(0)).toBeUndefined();
    expect(store.missing(0, 1002, 0)).toEqual([0, 1]);
  });

  it("fills pages read by position, asks only for the pages with holes, nearest the view first", () => {
    const store = new LogStore();
    store.putTail(10 * PAGE - 10, lines(10 * PAGE - 9, 10 * PAGE), 10 * PAGE);
    expect(store.missing(0, 10 * PAGE, 5 * PAGE)).toEqual([5, 4, 6, 3, 7, 2, 8, 1, 9, 0]);
    store.put(5 * PAGE, lines(5 * PAGE + 1, 6 * PAGE));
    expect(store.missing(4 * PAGE, 7 * PAGE, 5 * PAGE)).toEqual([4, 6]);
    // A short read (tiny chunks) leaves a hole: the next read starts there.
    store.put(4 * PAGE, lines(4 * PAGE + 1, 4 * PAGE + 100));
    expect(store.firstHole(4)).toBe(4 * PAGE + 100);
    expect(store.firstHole(5)).toBe(6 * PAGE);
  });

  it("keeps only the host and step of its filter from a live stream, at the next positions", () => {
    const store = new LogStore({ ordinal: 1, step: "a" });
    store.putTail(2, [line(7, 1, "a")], 7);
    store.append([line(6, 1, "a"), line(8, 0, "a"), line(9, 1, "b"), line(10, 1, "a")]);
    expect(store.total).toBe(4);
    expect(store.line(3)?.seq).toBe(10);
    expect(store.lastSeq).toBe(10);
  });

  it("ignores lines read past what it knows of (they arrive live, in order)", () => {
    const store = new LogStore();
    store.putTail(0, lines(1, 3), 3);
    store.put(2, lines(3, 6));
    expect(store.total).toBe(3);
    expect(store.line(3)).toBeUndefined();
  });

  it("stays bounded through a million live lines: old pages are dropped, newest kept", () => {
    const store = new LogStore();
    store.putTail(0, [], 0);
    for (let from = 1; from <= 1_000_000; from += 10_000) store.append(lines(from, from + 9_999));
    expect(store.total).toBe(1_000_000);
    expect(store.heldPages).toBeLessThanOrEqual(200);
    expect(store.line(999_999)?.text).toBe("line 1000000");
    expect(store.line(0)).toBeUndefined();
    // Read again when scrolled back to.
    store.put(0, lines(1, PAGE));
    expect(store.line(0)?.text).toBe("line 1");
  });

  it("asks for no page while the rows in view are held, even when their page has holes elsewhere", () => {
    const store = new LogStore();
    store.putTail(10 * PAGE - 200, lines(10 * PAGE - 199, 10 * PAGE), 10 * PAGE);
    expect(store.missing(10 * PAGE - 67, 10 * PAGE)).toEqual([]);
    expect(store.missing(10 * PAGE - 250, 10 * PAGE)).toEqual([9]);
  });

  it("tells a live search each new line its filter keeps, once, and nothing about pages read", () => {
    const store = new LogStore({ ordinal: 1 });
    store.putTail(0, [line(1), line(3)], 3);
    const told: number[] = [];
    const stop = store.onAppend((added) => told.push(...added.map((l) => l.seq)));
    store.append(lines(2, 7)); // 2 and 3 are known; 4 and 6 are another host's
    store.put(0, [line(1)]);
    expect(told).toEqual([5, 7]);
    stop();
    store.append(lines(8, 9));
    expect(told).toEqual([5, 7]);
  });
});
