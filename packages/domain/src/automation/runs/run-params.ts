import { eq } from "drizzle-orm";
import { runs } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import { open, seal, type MasterKeys, type SealBinding } from "../../crypto/secret-box";
import { NotFound } from "../../errors";

/** How a secret launch value is stored in `runs.params`: sealed, bound to its run and name. */
type SealedParam = { $sealed: string };

const isSealed = (v: unknown): v is SealedParam => !!v && typeof v === "object" && typeof (v as { $sealed?: unknown }).$sealed === "string";

/** A sealed value copied to another run or parameter does not open (ADR 0012). */
export function runParamBinding(runId: string, name: string): SealBinding {
  return { table: "automation.runs", column: `params.${name}`, rowId: runId };
}

/** Launch values as stored: the secret ones sealed under the current master key. */
export function sealRunParams(
  keys: MasterKeys,
  runId: string,
  values: Record<string, unknown>,
  secretNames: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const name of secretNames) {
    const v = values[name];
    if (typeof v === "string" && v !== "") out[name] = { $sealed: seal(keys, v, runParamBinding(runId, name)) } satisfies SealedParam;
  }
  return out;
}

/**
 * A run's launch values with secrets opened, for the worker that runs its steps (and
 * nowhere else: no API answer carries them). `secrets` is what output masking must hide.
 */
export async function openRunParams({ ctx, input }: SystemVerbArgs<{ runId: string }>): Promise<{
  kind: "job" | "adhoc";
  title: string;
  params: Record<string, unknown>;
  secrets: string[];
}> {
  const [run] = await ctx.services.db
    .select({ kind: runs.kind, title: runs.title, params: runs.params })
    .from(runs)
    .where(eq(runs.id, input.runId))
    .limit(1);
  if (!run) throw new NotFound("Run");
  return openParamsOf(ctx.services.masterKeys, input.runId, run);
}

/** `openRunParams` on a run row the caller already read (the run-scope claim returns it). */
export function openParamsOf(
  keys: MasterKeys,
  runId: string,
  run: { kind: "job" | "adhoc"; title: string; params: Record<string, unknown> },
): { kind: "job" | "adhoc"; title: string; params: Record<string, unknown>; secrets: string[] } {
  const params: Record<string, unknown> = {};
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(run.params ?? {})) {
    if (isSealed(value)) {
      const plain = open(keys, value.$sealed, runParamBinding(runId, name));
      params[name] = plain;
      secrets.push(plain);
    } else params[name] = value;
  }
  return { kind: run.kind, title: run.title, params, secrets };
}
