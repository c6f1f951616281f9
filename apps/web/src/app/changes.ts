/** Equal as a form means it: id lists and label maps compare regardless of order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    const [x, y] = [sorted(a), sorted(b)];
    return x.every((v, i) => v === y[i]);
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      ka.length === kb.length &&
      ka.every((k, i) => k === kb[i] && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

/**
 * The fields of `after` that differ from `before` (only keys `before` has). An edit sends
 * just these, so a field the user did not touch never overwrites someone else's change.
 */
export function changedFields<B extends object, A extends Partial<Record<keyof B, unknown>>>(before: B, after: A): Partial<A> {
  const out: Partial<A> = {};
  for (const key of Object.keys(before) as (keyof B & keyof A)[]) {
    if (!(key in after)) continue;
    if (!sameValue(before[key], after[key])) out[key] = after[key];
  }
  return out;
}

export function hasChanges(before: object, after: object): boolean {
  return Object.keys(changedFields(before, after as Partial<Record<string, unknown>>)).length > 0;
}
