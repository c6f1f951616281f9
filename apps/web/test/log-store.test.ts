import type { OutputLine } from "@ops/domain/schemas/automation-runs";
import { describe, expect, it } from "vitest";
import { LogStore } from "../src/routes/runs/log-store";

const line = (seq: number, ordinal = seq % 2, stepId = "s"): OutputLine => ({
  seq,
  ordinal,
  stepId,
  stream: "stdout",
  text: `line ${seq}`,
});
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i));
const texts = (store: LogStore, filter = {}) => {
  const view = store.view(filter);
  return Array.from({ length: view.count() }, (_, n) => store.text(view.at(n)));
};

describe("run page log store", () => {
  it("never shows a line twice when reads overlap", () => {
    const store = new LogStore();
    store.append(lines(1, 3));
    store.append(lines(2, 5));
    expect(texts(store)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
  });

  it("shows a big run's tail first and puts the earlier lines above it, in order", () => {
    const store = new LogStore(6);
    store.append(lines(7, 9));
    expect(texts(store)).toEqual(["line 7", "line 8", "line 9"]);
    expect(store.backfilling).toBe(true);
    store.appendHead(lines(1, 4), false);
    store.appendHead(lines(4, 8), false);
    expect(store.backfilling).toBe(false);
    expect(texts(store)).toEqual(lines(1, 9).map((l) => l.text));
  });

  it("filters by host, step and text, scanning only what arrived since", () => {
    const store = new LogStore(4);
    store.append([line(5, 0, "a"), line(6, 1, "b")]);
    const view = store.view({ ordinal: 1 });
    expect(view.count()).toBe(1);
    store.appendHead([line(1, 1, "a"), line(2, 0, "a")], true);
    store.append([line(7, 1, "a")]);
    expect(view.count()).toBe(3);
    expect([0, 1, 2].map((n) => store.text(view.at(n)))).toEqual(["line 1", "line 6", "line 7"]);
    expect(texts(store, { ordinal: 1, step: "a" })).toEqual(["line 1", "line 7"]);
    expect(texts(store, { text: "LINE 6" })).toEqual(["line 6"]);
  });

  it("holds a million lines and filters them", () => {
    const store = new LogStore();
    for (let from = 1; from <= 1_000_000; from += 10_000) store.append(lines(from, from + 9_999));
    expect(store.size).toBe(1_000_000);
    const view = store.view({ ordinal: 1 });
    expect(view.count()).toBe(500_000);
    expect(store.text(view.at(499_999))).toBe("line 999999");
    expect(texts(store, { text: "line 999999" })).toEqual(["line 999999"]);
  });
});
