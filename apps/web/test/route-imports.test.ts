import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { webRoot } from "./helpers/browser";

const src = join(webRoot, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The dashboard files a file imports by relative path (type-only imports included). */
function localImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s+"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
  return specs
    .map((spec) => resolve(dirname(file), spec))
    .flatMap((base) => [`${base}.ts`, `${base}.tsx`, join(base, "index.ts")].filter((p) => existsSync(p)).slice(0, 1));
}

/** Every import cycle, each as the chain of files that closes it. */
function importCycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, localImports(f)]));
  const state = new Map<string, "open" | "done">();
  const cycles: string[][] = [];
  const walk = (file: string, path: string[]) => {
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), file, next]);
      else if (!state.has(next)) walk(next, [...path, file]);
    }
    state.set(file, "done");
  };
  for (const f of files) if (!state.has(f)) walk(f, []);
  return cycles;
}

describe("dashboard module layout", () => {
  it("has no import loops (a page never imports the route file that imports it; STYLE.md 16)", () => {
    const cycles = importCycles(sourceFiles(src)).map((c) => [...new Set(c)].map((f) => relative(src, f)).join(" -> "));
    expect(cycles).toEqual([]);
  });
});
