import { useState } from "react";
import type { z } from "zod";
import { isApiError } from "./trpc";

export type FieldErrors = Record<string, string[]>;

/** What to tell the user about a failed call; never a stack. */
export function describeError(e: unknown): string {
  if (isApiError(e)) {
    if (e.data?.httpStatus === 429) {
      const wait = e.data.retryAfter;
      return wait ? `Too many attempts. Try again in ${formatWait(wait)}.` : e.message || "Too many attempts. Try again later.";
    }
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return "Something went wrong";
}

function formatWait(seconds: number): string {
  if (seconds < 90) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/**
 * The server refused a save because the row changed since the form loaded it (an edit
 * sent `expectedUpdatedAt`): the user should reload, not retry.
 */
export function isStaleEdit(e: unknown): boolean {
  return isApiError(e) && e.data?.code === "CONFLICT" && /changed by someone else/i.test(e.message);
}

export function serverFieldErrors(e: unknown): FieldErrors {
  if (isApiError(e)) return (e.data?.fieldErrors as FieldErrors | undefined) ?? {};
  return {};
}

type FormErrorOptions = {
  /** Leave the top message out when the server put its messages beside fields. */
  onlyBesideFields?: boolean;
  /** Re-key the server's field errors to the form's fields. */
  mapFields?: (fields: FieldErrors) => FieldErrors;
};

/** A form's field errors and top message, with the mutation `onError` that fills both. */
export function useFormErrors(options: FormErrorOptions = {}) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [stale, setStale] = useState<string | null>(null);
  const onError = (e: unknown) => {
    if (isStaleEdit(e)) {
      setError(null);
      return setStale(describeError(e));
    }
    const fields = serverFieldErrors(e);
    setErrors(options.mapFields ? options.mapFields(fields) : fields);
    setError(options.onlyBesideFields && Object.keys(fields).length ? null : describeError(e));
  };
  return { errors, setErrors, error, setError, stale, onError };
}

/** Client-side check with the shared schema; paths joined with "." like the server's. */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
): { ok: true; data: z.infer<T> } | { ok: false; errors: FieldErrors } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path.join(".") || "_";
    (errors[key] ??= []).push(issue.message);
  }
  return { ok: false, errors };
}
